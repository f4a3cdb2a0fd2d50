//! Calls a WebAssembly frame makes, run by a frame loop of their own over the same context.
//!
//! An EVM frame that calls returns to revm's frame loop, which runs the callee and resumes
//! the caller. A WASM frame cannot return mid-call: the engine waits for the answer on the
//! native stack. So each call a WASM contract makes runs in a [`NestedEvm`]: revm's frames,
//! instructions and our precompiles over a borrow of the very context (journal, block,
//! transaction) the outer loop runs on, driven by [`VntHandler`]'s own loop. The callee may
//! be EVM code, a precompile or another WASM contract (which arrives the way a precompile
//! does), so every call from WASM takes this one path, with revm's checkpoint, value
//! transfer, depth limit and static rules.

use super::handler::{VntHandler, VntPrecompiles};
use super::wasm::{FrameContext, WasmRuntime};
use revm::context::{Cfg, ContextTr, FrameStack, JournalTr, LocalContextTr};
use revm::context_interface::context::take_error;
use revm::handler::evm::{ContextDbError, FrameInitResult};
use revm::handler::instructions::EthInstructions;
use revm::handler::{EthFrame, EvmTr, FrameResult, Handler};
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_action::FrameInit;
use revm::interpreter::{CallInputs, CallOutcome, FrameInput, SharedMemory};
use std::sync::Arc;

/// revm's machinery over a borrowed context: what a WASM frame's call runs in.
pub struct NestedEvm<'c, CTX: FrameContext> {
    ctx: &'c mut CTX,
    instructions: EthInstructions<EthInterpreter, CTX>,
    precompiles: VntPrecompiles,
    frames: FrameStack<EthFrame>,
}

/// Runs the call `inputs` describes from inside a WASM frame and returns how it ended; the
/// callee's effects stay in the journal under revm's checkpoint rules. An error is a
/// database failure: the transaction stops with it.
pub fn call<CTX: FrameContext>(
    ctx: &mut CTX,
    runtime: &Arc<WasmRuntime>,
    inputs: CallInputs,
) -> Result<CallOutcome, String> {
    // The callee's memory starts after every enclosing EVM frame's memory in the shared
    // buffer, and the buffer is cut back to that point afterwards, as revm does for a child.
    let mut memory = SharedMemory::new_with_buffer(ctx.local().shared_memory_buffer().clone());
    memory.set_memory_limit(ctx.cfg().memory_limit());
    let init = FrameInit {
        // The calling WASM frame's checkpoint is the journal's depth; its callee is one deeper.
        depth: ctx.journal().depth(),
        memory: memory.new_child_context(),
        frame_input: FrameInput::Call(Box::new(inputs)),
    };
    let spec = ctx.cfg().spec().into();
    let mut evm = NestedEvm {
        ctx,
        instructions: EthInstructions::new_mainnet_with_spec(spec),
        precompiles: VntPrecompiles::new(runtime.clone()),
        frames: FrameStack::new(),
    };
    let result = VntHandler::default()
        .run_exec_loop(&mut evm, init)
        .map_err(|error| error.to_string());
    // A database failure in the callee's own frame is left in the context, not returned:
    // take it here so the calling WASM frame learns of it at once.
    let pending =
        take_error::<ContextDbError<CTX>, _>(evm.ctx.error()).map_err(|error| format!("{error:?}"));
    memory.free_child_context();
    pending?;
    match result? {
        FrameResult::Call(outcome) => Ok(outcome),
        FrameResult::Create(_) => unreachable!("a call frame ends as a call"),
    }
}

impl<CTX: FrameContext> EvmTr for NestedEvm<'_, CTX> {
    type Context = CTX;
    type Instructions = EthInstructions<EthInterpreter, CTX>;
    type Precompiles = VntPrecompiles;
    type Frame = EthFrame;

    fn all(
        &self,
    ) -> (
        &Self::Context,
        &Self::Instructions,
        &Self::Precompiles,
        &FrameStack<Self::Frame>,
    ) {
        (
            self.ctx,
            &self.instructions,
            &self.precompiles,
            &self.frames,
        )
    }

    fn all_mut(
        &mut self,
    ) -> (
        &mut Self::Context,
        &mut Self::Instructions,
        &mut Self::Precompiles,
        &mut FrameStack<Self::Frame>,
    ) {
        (
            self.ctx,
            &mut self.instructions,
            &mut self.precompiles,
            &mut self.frames,
        )
    }

    fn frame_init(
        &mut self,
        init: FrameInit,
    ) -> Result<FrameInitResult<'_, EthFrame>, ContextDbError<CTX>> {
        let first = self.frames.index().is_none();
        let slot = if first {
            self.frames.start_init()
        } else {
            self.frames.get_next()
        };
        let started = EthFrame::init_with_context(slot, self.ctx, &mut self.precompiles, init)?;
        Ok(started.map_item(|token| {
            // SAFETY: the token comes from the slot this stack handed out just above.
            unsafe {
                if first {
                    self.frames.end_init(token);
                } else {
                    self.frames.push(token);
                }
            }
            self.frames.get()
        }))
    }

    fn frame_run(
        &mut self,
    ) -> Result<revm::handler::FrameInitOrResult<EthFrame>, ContextDbError<CTX>> {
        let frame = self.frames.get();
        let action = frame.interpreter.run_plain(
            self.instructions.instruction_table(),
            self.instructions.gas_table(),
            self.ctx,
        );
        frame.process_next_action(self.ctx, action).inspect(|next| {
            if next.is_result() {
                frame.set_finished(true);
            }
        })
    }

    fn frame_return_result(
        &mut self,
        result: FrameResult,
    ) -> Result<Option<FrameResult>, ContextDbError<CTX>> {
        if self.frames.get().is_finished() {
            self.frames.pop();
        }
        if self.frames.index().is_none() {
            return Ok(Some(result));
        }
        self.frames
            .get()
            .return_result::<_, ContextDbError<CTX>>(self.ctx, result)?;
        Ok(None)
    }
}
