/*
 * A VNT contract in C: it keeps one number, which anyone can read with get() and
 * replace with set(uint256), and it announces every change with a ValueSet event.
 *
 * Build with `vnt contract build` (the clang command is at the top of vnt.h). To give the
 * contract a constructor, export `deploy` the same way as `call`; it runs once at
 * creation, with the ABI-encoded constructor arguments as its input (vnt_input()).
 */
#include "vnt.h"

#define SELECTOR_GET 0x6d4ce63cu /* get() */
#define SELECTOR_SET 0x60fe47b1u /* set(uint256) */

/* keccak256("ValueSet(address,uint256)"): ValueSet(address indexed by, uint256 value) */
static const vnt_word VALUE_SET_EVENT = VNT_WORD(
    0xf3, 0xf5, 0x77, 0x17, 0xdf, 0xf9, 0xf5, 0xf1, 0x0a, 0xf3, 0x15, 0xef, 0xdb, 0xfa, 0xdc, 0x60,
    0xc4, 0x21, 0x52, 0xc1, 0x1f, 0xc0, 0xc3, 0xc4, 0x13, 0xbb, 0xfb, 0xdc, 0x66, 0x1f, 0x14, 0x3c);

/* The number lives in slot 0, like a Solidity contract's first state variable. */
enum { SLOT_VALUE };

VNT_EXPORT("call") void call(void) {
    vnt_reject_value();
    uint32_t selector = vnt_selector();
    vnt_word slot = vnt_slot(SLOT_VALUE);
    switch (selector) {
    case SELECTOR_GET: {
        vnt_u256 value = vnt_sload(&slot);
        vnt_return_u256(&value);
    }
    case SELECTOR_SET: {
        vnt_u256 value = vnt_abi_u256(vnt_args(), 0);
        vnt_address by = vnt_caller();
        vnt_sstore(&slot, &value);
        vnt_word topics[2] = {VALUE_SET_EVENT, vnt_topic_address(&by)};
        vnt_emit(topics, 2, value.bytes, 32);
        return; /* no return value: the call ends with empty output */
    }
    default:
        vnt_revert_reason(VNT_UNKNOWN_SELECTOR);
    }
}
