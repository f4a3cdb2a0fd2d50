/*
 * An ERC-20 token in C. It behaves exactly as the Rust token (contracts/erc20-rust) and
 * the shared specification: same selectors, events, revert strings and storage layout, so
 * no wallet, explorer or test can tell which language a deployment was written in.
 *
 * Storage, Solidity-compatible:
 *   slot 0  totalSupply
 *   slot 1  balances:   mapping(address => uint256)
 *   slot 2  allowances: mapping(address owner => mapping(address spender => uint256))
 *   slot 3  name, slot 4 symbol: the length in the slot, the bytes from keccak256(slot)
 *
 * Checks run in one order everywhere: value sent ("value not accepted"), the selector,
 * the arguments ("invalid calldata"), then the function's own rules in OpenZeppelin's
 * order (in transferFrom, the allowance before the transfer's own checks).
 *
 * Build: see the top of sdk/c/vnt.h.
 */
#include "vnt.h"

/* Function selectors: the first four bytes of the keccak256 of the signature. */
#define SELECTOR_NAME 0x06fdde03u          /* name() */
#define SELECTOR_SYMBOL 0x95d89b41u        /* symbol() */
#define SELECTOR_DECIMALS 0x313ce567u      /* decimals() */
#define SELECTOR_TOTAL_SUPPLY 0x18160dddu  /* totalSupply() */
#define SELECTOR_BALANCE_OF 0x70a08231u    /* balanceOf(address) */
#define SELECTOR_TRANSFER 0xa9059cbbu      /* transfer(address,uint256) */
#define SELECTOR_ALLOWANCE 0xdd62ed3eu     /* allowance(address,address) */
#define SELECTOR_APPROVE 0x095ea7b3u       /* approve(address,uint256) */
#define SELECTOR_TRANSFER_FROM 0x23b872ddu /* transferFrom(address,address,uint256) */

/* keccak256("Transfer(address,address,uint256)") */
static const vnt_word TRANSFER_EVENT = VNT_WORD(
    0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0, 0x68, 0xfc, 0x37, 0x8d, 0xaa,
    0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4, 0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef);
/* keccak256("Approval(address,address,uint256)") */
static const vnt_word APPROVAL_EVENT = VNT_WORD(
    0x8c, 0x5b, 0xe1, 0xe5, 0xeb, 0xec, 0x7d, 0x5b, 0xd1, 0x4f, 0x71, 0x42, 0x7d, 0x1e, 0x84, 0xf3,
    0xdd, 0x03, 0x14, 0xc0, 0xf7, 0xb2, 0x29, 0x1e, 0x5b, 0x20, 0x0a, 0xc8, 0xc7, 0xc3, 0xb9, 0x25);

enum { SLOT_TOTAL_SUPPLY, SLOT_BALANCES, SLOT_ALLOWANCES, SLOT_NAME, SLOT_SYMBOL };

enum { DECIMALS = 18 };

static vnt_word balance_slot(const vnt_address *owner) {
    vnt_word balances = vnt_slot(SLOT_BALANCES);
    return vnt_mapping_slot_address(&balances, owner);
}

static vnt_word allowance_slot(const vnt_address *owner, const vnt_address *spender) {
    vnt_word allowances = vnt_slot(SLOT_ALLOWANCES);
    vnt_word of_owner = vnt_mapping_slot_address(&allowances, owner);
    return vnt_mapping_slot_address(&of_owner, spender);
}

/* Transfer and Approval have the same shape: two indexed addresses, one uint256. */
static void emit_event(const vnt_word *event, const vnt_address *first,
                       const vnt_address *second, const vnt_u256 *value) {
    vnt_word topics[3] = {*event, vnt_topic_address(first), vnt_topic_address(second)};
    vnt_emit(topics, 3, value->bytes, 32);
}

/* Moves `amount` from `from` to `to`. The receiver's balance is read only after the
 * sender's is written, so a transfer to oneself leaves the balance as it was. */
static void move(const vnt_address *from, const vnt_address *to, const vnt_u256 *amount) {
    vnt_require(!vnt_address_is_zero(to), "ERC20: transfer to the zero address");
    vnt_word slot = balance_slot(from);
    vnt_u256 balance = vnt_sload(&slot);
    if (vnt_u256_sub_overflow(&balance, amount, &balance)) {
        vnt_revert_reason("ERC20: transfer amount exceeds balance");
    }
    vnt_sstore(&slot, &balance);
    slot = balance_slot(to);
    balance = vnt_sload(&slot);
    /* Cannot overflow: all balances together are the total supply, itself a uint256. */
    (void)vnt_u256_add_overflow(&balance, amount, &balance);
    vnt_sstore(&slot, &balance);
    emit_event(&TRANSFER_EVENT, from, to, amount);
}

static void approve(const vnt_address *owner, const vnt_address *spender,
                    const vnt_u256 *amount) {
    vnt_require(!vnt_address_is_zero(spender), "ERC20: approve to the zero address");
    vnt_word slot = allowance_slot(owner, spender);
    vnt_sstore(&slot, amount);
    emit_event(&APPROVAL_EVENT, owner, spender, amount);
}

/* Spends `amount` of what `owner` allowed `spender`. An allowance of 2^256-1 is unlimited
 * and never decreases, which also spares a storage write. */
static void spend_allowance(const vnt_address *owner, const vnt_address *spender,
                            const vnt_u256 *amount) {
    vnt_word slot = allowance_slot(owner, spender);
    vnt_u256 allowed = vnt_sload(&slot), unlimited = vnt_u256_max();
    if (vnt_u256_eq(&allowed, &unlimited)) {
        return;
    }
    if (vnt_u256_sub_overflow(&allowed, amount, &allowed)) {
        vnt_revert_reason("ERC20: insufficient allowance");
    }
    vnt_sstore(&slot, &allowed);
}

VNT_NORETURN static void return_string_at(uint64_t slot_number) {
    vnt_word slot = vnt_slot(slot_number);
    vnt_bytes s = vnt_sload_string(&slot);
    vnt_return_string(s.ptr, s.len);
}

VNT_NORETURN static void return_word_at(uint64_t slot_number) {
    vnt_word slot = vnt_slot(slot_number);
    vnt_word value = vnt_sload(&slot);
    vnt_return_u256(&value);
}

/* constructor(string name, string symbol, uint256 initialSupply): everything to the
 * deployer. */
VNT_EXPORT("deploy") void deploy(void) {
    vnt_reject_value();
    vnt_bytes args = vnt_input();
    vnt_bytes name = vnt_abi_string(args, 0);
    vnt_bytes symbol = vnt_abi_string(args, 1);
    vnt_u256 supply = vnt_abi_u256(args, 2);
    vnt_address deployer = vnt_caller(), nobody = {{0}};
    vnt_word slot = vnt_slot(SLOT_NAME);
    vnt_sstore_string(&slot, name.ptr, name.len);
    slot = vnt_slot(SLOT_SYMBOL);
    vnt_sstore_string(&slot, symbol.ptr, symbol.len);
    slot = vnt_slot(SLOT_TOTAL_SUPPLY);
    vnt_sstore(&slot, &supply);
    slot = balance_slot(&deployer);
    vnt_sstore(&slot, &supply);
    emit_event(&TRANSFER_EVENT, &nobody, &deployer, &supply);
}

VNT_EXPORT("call") void call(void) {
    vnt_reject_value();
    uint32_t selector = vnt_selector();
    vnt_bytes args = vnt_args();
    vnt_address caller = vnt_caller();
    switch (selector) {
    case SELECTOR_NAME:
        return_string_at(SLOT_NAME);
    case SELECTOR_SYMBOL:
        return_string_at(SLOT_SYMBOL);
    case SELECTOR_DECIMALS:
        vnt_return_u64(DECIMALS);
    case SELECTOR_TOTAL_SUPPLY:
        return_word_at(SLOT_TOTAL_SUPPLY);
    case SELECTOR_BALANCE_OF: {
        vnt_address owner = vnt_abi_address(args, 0);
        vnt_word slot = balance_slot(&owner), balance = vnt_sload(&slot);
        vnt_return_u256(&balance);
    }
    case SELECTOR_ALLOWANCE: {
        vnt_address owner = vnt_abi_address(args, 0);
        vnt_address spender = vnt_abi_address(args, 1);
        vnt_word slot = allowance_slot(&owner, &spender), allowed = vnt_sload(&slot);
        vnt_return_u256(&allowed);
    }
    case SELECTOR_TRANSFER: {
        vnt_address to = vnt_abi_address(args, 0);
        vnt_u256 amount = vnt_abi_u256(args, 1);
        move(&caller, &to, &amount);
        vnt_return_bool(true);
    }
    case SELECTOR_APPROVE: {
        vnt_address spender = vnt_abi_address(args, 0);
        vnt_u256 amount = vnt_abi_u256(args, 1);
        approve(&caller, &spender, &amount);
        vnt_return_bool(true);
    }
    case SELECTOR_TRANSFER_FROM: {
        vnt_address from = vnt_abi_address(args, 0);
        vnt_address to = vnt_abi_address(args, 1);
        vnt_u256 amount = vnt_abi_u256(args, 2);
        spend_allowance(&from, &caller, &amount);
        move(&from, &to, &amount);
        vnt_return_bool(true);
    }
    default:
        vnt_revert_reason(VNT_UNKNOWN_SELECTOR);
    }
}
