//! An ERC-20 token as a VNT WebAssembly contract: the reference for contracts written in
//! Rust, with exactly the behaviour of its C twin (`contracts/erc20-c`), storage layout
//! included, so either can be read or upgraded with the same tools.
//!
//! - `deploy(string name, string symbol, uint256 initialSupply)` mints the supply to the
//!   deployer.
//! - `call` serves `name`, `symbol`, `decimals` (18), `totalSupply`, `balanceOf`,
//!   `transfer`, `allowance`, `approve` and `transferFrom`, OpenZeppelin's semantics: an
//!   allowance of 2^256 - 1 is never spent, transfers of 0 and to oneself are allowed.
//! - Neither accepts value. Failures revert with OpenZeppelin's reason strings.
//!
//! Storage is Solidity's layout for `uint256 totalSupply; mapping(address => uint256)
//! balances; mapping(address => mapping(address => uint256)) allowances; string name;
//! string symbol;` (with the SDK's unpacked strings).

#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use vnt_sdk::{Address, Mapping, StorageBytes, U256, Value, event, msg, return_value, revert};

const TOTAL_SUPPLY: Value<U256> = Value::new(0);
const BALANCES: Mapping<Address, Value<U256>> = Mapping::new(1);
const ALLOWANCES: Mapping<Address, Mapping<Address, Value<U256>>> = Mapping::new(2);
// Kept as the bytes given, UTF-8 or not, as Solidity keeps a `string`; a string and a
// `bytes` encode the same way in the ABI.
const NAME: StorageBytes = StorageBytes::new(3);
const SYMBOL: StorageBytes = StorageBytes::new(4);

const TRANSFER_EVENT: [u8; 32] = event::signature("Transfer(address,address,uint256)");
const APPROVAL_EVENT: [u8; 32] = event::signature("Approval(address,address,uint256)");

mod selectors {
    use vnt_sdk::selector;

    pub const NAME: [u8; 4] = selector("name()");
    pub const SYMBOL: [u8; 4] = selector("symbol()");
    pub const DECIMALS: [u8; 4] = selector("decimals()");
    pub const TOTAL_SUPPLY: [u8; 4] = selector("totalSupply()");
    pub const BALANCE_OF: [u8; 4] = selector("balanceOf(address)");
    pub const TRANSFER: [u8; 4] = selector("transfer(address,uint256)");
    pub const ALLOWANCE: [u8; 4] = selector("allowance(address,address)");
    pub const APPROVE: [u8; 4] = selector("approve(address,uint256)");
    pub const TRANSFER_FROM: [u8; 4] = selector("transferFrom(address,address,uint256)");
}

#[unsafe(no_mangle)]
pub extern "C" fn deploy() {
    refuse_value();
    let (name, symbol, supply): (Vec<u8>, Vec<u8>, U256) = msg::input().constructor_args();
    NAME.set(&name);
    SYMBOL.set(&symbol);
    let deployer = msg::caller();
    TOTAL_SUPPLY.set(supply);
    BALANCES.set(&deployer, supply);
    emit_transfer(&Address::ZERO, &deployer, supply);
}

#[unsafe(no_mangle)]
pub extern "C" fn call() {
    refuse_value();
    let input = msg::input();
    match input.selector() {
        selectors::NAME => return_value(&NAME.get()),
        selectors::SYMBOL => return_value(&SYMBOL.get()),
        selectors::DECIMALS => return_value(&18u8),
        selectors::TOTAL_SUPPLY => return_value(&TOTAL_SUPPLY.get()),
        selectors::BALANCE_OF => {
            let owner = input.args();
            return_value(&BALANCES.get(&owner))
        }
        selectors::TRANSFER => {
            let (to, amount) = input.args();
            transfer(&msg::caller(), &to, amount);
            return_value(&true)
        }
        selectors::ALLOWANCE => {
            let (owner, spender) = input.args();
            return_value(&ALLOWANCES.entry(&owner).get(&spender))
        }
        selectors::APPROVE => {
            let (spender, amount) = input.args();
            approve(&msg::caller(), &spender, amount);
            return_value(&true)
        }
        selectors::TRANSFER_FROM => {
            let (from, to, amount) = input.args();
            spend_allowance(&from, &msg::caller(), amount);
            transfer(&from, &to, amount);
            return_value(&true)
        }
        _ => revert("unknown selector"),
    }
}

fn refuse_value() {
    if !msg::value().is_zero() {
        revert("value not accepted");
    }
}

fn transfer(from: &Address, to: &Address, amount: U256) {
    if to.is_zero() {
        revert("ERC20: transfer to the zero address");
    }
    let from_balance = BALANCES.entry(from);
    let Some(rest) = from_balance.get().checked_sub(amount) else {
        revert("ERC20: transfer amount exceeds balance");
    };
    from_balance.set(rest);
    // Read after the debit, so a transfer to oneself ends where it started. Balances sum to
    // the total supply, so the credit cannot overflow.
    let to_balance = BALANCES.entry(to);
    to_balance.set(to_balance.get() + amount);
    emit_transfer(from, to, amount);
}

fn approve(owner: &Address, spender: &Address, amount: U256) {
    if spender.is_zero() {
        revert("ERC20: approve to the zero address");
    }
    ALLOWANCES.entry(owner).set(spender, amount);
    event::emit(
        &[APPROVAL_EVENT, owner.to_word(), spender.to_word()],
        &amount.to_be_bytes(),
    );
}

/// Spends `amount` of what `owner` allowed `spender`; an unlimited allowance stays so.
fn spend_allowance(owner: &Address, spender: &Address, amount: U256) {
    let allowance = ALLOWANCES.entry(owner).entry(spender);
    let current = allowance.get();
    if current == U256::MAX {
        return;
    }
    let Some(rest) = current.checked_sub(amount) else {
        revert("ERC20: insufficient allowance");
    };
    allowance.set(rest);
}

fn emit_transfer(from: &Address, to: &Address, amount: U256) {
    event::emit(
        &[TRANSFER_EVENT, from.to_word(), to.to_word()],
        &amount.to_be_bytes(),
    );
}
