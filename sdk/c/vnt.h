/*
 * vnt.h — writing VNT WebAssembly contracts in C.
 *
 * One header, nothing to link: the whole host ABI (import module `vnt_v1`, see
 * docs/vm.md) plus what a Solidity-compatible contract needs — 256-bit arithmetic, ABI
 * decoding of calldata and encoding of results, `Error(string)` reverts, events,
 * Solidity-compatible storage slots, calls to other contracts. A contract is one C file
 * that includes this header and exports `call` (run for every message call) and, if it
 * has a constructor, `deploy` (run once at creation with the constructor arguments):
 *
 *     #include "vnt.h"
 *     VNT_EXPORT("call") void call(void) { ... }
 *
 * Build (what `vnt contract build` runs for C):
 *
 *     clang --target=wasm32 -std=c11 -Oz -ffreestanding -nostdlib -mbulk-memory -msign-ext \
 *         -Wall -Wextra -I sdk/c -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=65536 \
 *         -Wl,--strip-all -o contract.wasm contract.c
 *
 *   -Oz              deployment is charged per byte of code (16,000 gas a byte, more than
 *                    a storage write per 16 bytes), so size beats speed: instructions cost
 *                    about one gas each, a storage read 50,000.
 *   -ffreestanding   no C library: clang's own stdint.h/stdbool.h, no assumed libc calls.
 *   -nostdlib        nothing to link but the contract; memcpy and friends come from below.
 *   -mbulk-memory    memcpy/memset become `memory.copy`/`memory.fill` instructions, which
 *                    the VM allows and charges per word, rather than calls.
 *   -msign-ext       smaller code for narrow integer casts (allowed by the VM profile).
 *   --no-entry       a contract has exports, not a `main`, and so no start function (which
 *                    the VM refuses).
 *   --stack-first    the C stack sits below the static data, so overflowing it traps on an
 *                    out-of-bounds access instead of silently overwriting globals.
 *   stack-size       64 KiB of C stack; raise it for contracts with large local arrays.
 *   --strip-all      drops names and debug sections: a smaller module, a cheaper deploy.
 *
 * Never use `float` or `double`: the VM refuses any module with a floating-point type or
 * instruction in it.
 *
 * Conventions.
 * - Numbers are `vnt_u256`: the same 32 big-endian bytes (`vnt_word`) that storage, the
 *   ABI, topics and the host use, so they go in and out without conversion.
 * - Words and addresses go into functions by pointer and come out by value: copying a
 *   32-byte struct into every call costs dozens of bytes of code each time.
 * - Functions that end the call (`vnt_return*`, `vnt_revert*`, a failed `vnt_require`,
 *   malformed calldata) do not return; the chain discards a reverted call's effects.
 * - Values whose size is known only while running (`vnt_input`, `vnt_result`,
 *   `vnt_sload_string`, `vnt_alloc`) live on a bump heap above the static data. An
 *   instance lives for one call, so nothing is ever freed.
 * - C has no compile-time keccak: write selectors and event topics as constants with the
 *   signature beside them (`cast sig 'transfer(address,uint256)'`,
 *   `cast keccak 'Transfer(address,address,uint256)'`).
 */
#ifndef VNT_H
#define VNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__wasm32__)
#error "vnt.h targets wasm32: compile with clang --target=wasm32 (see the top of vnt.h)"
#endif
/* Without bulk memory, the memcpy below would compile to a call to itself. */
#if !defined(__wasm_bulk_memory__)
#error "vnt.h needs -mbulk-memory (see the top of vnt.h)"
#endif

#define VNT_IMPORT(name) __attribute__((import_module("vnt_v1"), import_name(name)))
/* Exports a contract entry point: VNT_EXPORT("call") void call(void). */
#define VNT_EXPORT(name) __attribute__((export_name(name)))
#define VNT_NORETURN __attribute__((noreturn))

/* Revert reasons of the token specification, shared so that contracts written in C and
 * in Rust fail the same way. */
#define VNT_INVALID_CALLDATA "invalid calldata"
#define VNT_UNKNOWN_SELECTOR "unknown selector"
#define VNT_VALUE_NOT_ACCEPTED "value not accepted"

/* ------------------------------------------------------------------------------------ */
/* The host ABI, one to one (vm/src/host/mod.rs and vm/src/host/calls.rs). Pointers are    */
/* offsets into linear memory; keys, values and digests are 32 bytes, addresses 20.        */
/* ------------------------------------------------------------------------------------ */

VNT_IMPORT("input_size") uint32_t vnt_host_input_size(void);
VNT_IMPORT("input_copy") void vnt_host_input_copy(void *out, uint32_t offset, uint32_t len);
VNT_IMPORT("return_data") VNT_NORETURN void vnt_host_return_data(const void *data, uint32_t len);
VNT_IMPORT("revert") VNT_NORETURN void vnt_host_revert(const void *data, uint32_t len);
VNT_IMPORT("storage_read") void vnt_host_storage_read(const void *key, void *value_out);
VNT_IMPORT("storage_write") void vnt_host_storage_write(const void *key, const void *value);
/* At most four topics of 32 bytes each, stored one after another at `topics`. */
VNT_IMPORT("log")
void vnt_host_log(const void *topics, uint32_t topic_count, const void *data, uint32_t len);
VNT_IMPORT("gas_left") uint64_t vnt_host_gas_left(void);
VNT_IMPORT("caller") void vnt_host_caller(void *address_out);
VNT_IMPORT("origin") void vnt_host_origin(void *address_out);
VNT_IMPORT("address") void vnt_host_address(void *address_out);
VNT_IMPORT("call_value") void vnt_host_call_value(void *word_out);
VNT_IMPORT("block_number") uint64_t vnt_host_block_number(void);
VNT_IMPORT("timestamp") uint64_t vnt_host_timestamp(void);
VNT_IMPORT("chain_id") uint64_t vnt_host_chain_id(void);
VNT_IMPORT("balance") void vnt_host_balance(const void *address, void *word_out);
VNT_IMPORT("keccak256") void vnt_host_keccak256(const void *data, uint32_t len, void *out);
VNT_IMPORT("sha256") void vnt_host_sha256(const void *data, uint32_t len, void *out);
VNT_IMPORT("blake2b_256") void vnt_host_blake2b_256(const void *data, uint32_t len, void *out);
/* 1 and the signer's address, or 0; `signature` is r || s || v (65 bytes), low s only. */
VNT_IMPORT("ecrecover")
int32_t vnt_host_ecrecover(const void *hash, const void *signature, void *address_out);
/* 1 if the 64-byte signature of `message` verifies under the 32-byte key (strictly). */
VNT_IMPORT("ed25519_verify")
int32_t vnt_host_ed25519_verify(const void *message, uint32_t len, const void *signature,
                                const void *public_key);
/* The calls return 0 (success), 1 (the callee reverted) or 2 (it failed): VNT_CALL_*. */
VNT_IMPORT("call")
int32_t vnt_host_call(const void *target, const void *value, const void *input, uint32_t len,
                      uint64_t gas);
VNT_IMPORT("static_call")
int32_t vnt_host_static_call(const void *target, const void *input, uint32_t len, uint64_t gas);
VNT_IMPORT("delegate_call")
int32_t vnt_host_delegate_call(const void *target, const void *input, uint32_t len,
                               uint64_t gas);
VNT_IMPORT("create")
int32_t vnt_host_create(const void *code, uint32_t len, const void *value, uint64_t gas,
                        void *address_out);
VNT_IMPORT("result_size") uint32_t vnt_host_result_size(void);
VNT_IMPORT("result_copy") void vnt_host_result_copy(void *out, uint32_t offset, uint32_t len);

/* ------------------------------------------------------------------------------------ */
/* The C library functions the compiler may call on its own.                               */
/* ------------------------------------------------------------------------------------ */

/* Clang may emit calls to these for struct copies and recognised loops, and -nostdlib
 * leaves nothing to provide them. Weak, so a contract split over several files links one
 * copy. With -mbulk-memory the builtins compile to one bulk-memory instruction each rather
 * than to a call to the function being defined. Define VNT_NO_MEMORY_FUNCTIONS to bring
 * your own. */
#ifndef VNT_NO_MEMORY_FUNCTIONS
__attribute__((weak)) void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    return __builtin_memcpy(dst, src, n);
}
__attribute__((weak)) void *memmove(void *dst, const void *src, size_t n) {
    return __builtin_memmove(dst, src, n);
}
__attribute__((weak)) void *memset(void *dst, int byte, size_t n) {
    return __builtin_memset(dst, byte, n);
}
__attribute__((weak)) int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}
#endif

/* ------------------------------------------------------------------------------------ */
/* Types.                                                                                   */
/* ------------------------------------------------------------------------------------ */

/* 32 big-endian bytes: storage keys and values, topics, digests, ABI words — and, as
 * vnt_u256, unsigned 256-bit integers. One representation for all of them because every
 * number a contract handles comes from or goes to storage, calldata or a log in this
 * form; byte-wise arithmetic costs a few hundred gas, far below one storage access. */
typedef struct {
    uint8_t bytes[32];
} vnt_word;

typedef vnt_word vnt_u256;

/* A 20-byte account address. */
typedef struct {
    uint8_t bytes[20];
} vnt_address;

/* A borrowed run of bytes: calldata, a call's result, a string read from storage. */
typedef struct {
    const uint8_t *ptr;
    uint32_t len;
} vnt_bytes;

/* Literals: VNT_WORD(0xdd, 0xf2, ...) lists all 32 bytes, most significant first. */
#define VNT_WORD(...) ((vnt_word){{__VA_ARGS__}})
#define VNT_ADDRESS(...) ((vnt_address){{__VA_ARGS__}})

/* ------------------------------------------------------------------------------------ */
/* Ending the call.                                                                         */
/* ------------------------------------------------------------------------------------ */

VNT_NORETURN static inline void vnt_return(const void *data, uint32_t len) {
    vnt_host_return_data(data, len);
}

VNT_NORETURN static inline void vnt_revert(const void *data, uint32_t len) {
    vnt_host_revert(data, len);
}

static inline uint32_t vnt_strlen(const char *s) {
    uint32_t n = 0;
    while (s[n] != 0) {
        n++;
    }
    return n;
}

VNT_NORETURN static inline void vnt_revert_reason_n(const char *reason, uint32_t len);

/* Reverts with `reason` (NUL-terminated) encoded as Solidity's Error(string), which
 * wallets, explorers and `eth_call` clients decode and show. */
VNT_NORETURN static inline void vnt_revert_reason(const char *reason) {
    vnt_revert_reason_n(reason, vnt_strlen(reason));
}

/* Reverts with Error(reason) unless `condition` holds; Solidity's require. */
static inline void vnt_require(bool condition, const char *reason) {
    if (!condition) {
        vnt_revert_reason(reason);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Memory: a bump heap for values whose size is known only while running.                  */
/* ------------------------------------------------------------------------------------ */

/* Weak rather than static so that every file of a contract shares one heap. */
__attribute__((weak)) uintptr_t vnt_heap_next_ = 0;

/* `size` bytes, 8-byte aligned, contents unspecified. Grows memory as needed; traps when
 * it cannot (the VM caps memory at 16 MiB), which ends the call like any trap. */
static inline void *vnt_alloc(uint32_t size) {
    extern unsigned char __heap_base;
    if (vnt_heap_next_ == 0) {
        vnt_heap_next_ = (uintptr_t)&__heap_base;
    }
    uint64_t start = ((uint64_t)vnt_heap_next_ + 7) & ~(uint64_t)7;
    uint64_t end = start + size;
    uint64_t available = (uint64_t)__builtin_wasm_memory_size(0) << 16;
    if (end > available) {
        uint64_t pages = (end - available + 0xffff) >> 16;
        if (end > ((uint64_t)1 << 32) ||
            __builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1) {
            __builtin_trap();
        }
    }
    vnt_heap_next_ = (uintptr_t)end;
    return (void *)(uintptr_t)start;
}

/* ------------------------------------------------------------------------------------ */
/* Words, addresses and 256-bit integers.                                                   */
/* ------------------------------------------------------------------------------------ */

static inline bool vnt_bytes_equal_(const uint8_t *a, const uint8_t *b, uint32_t n) {
    uint8_t diff = 0;
    for (uint32_t i = 0; i < n; i++) {
        diff |= a[i] ^ b[i];
    }
    return diff == 0;
}

static inline bool vnt_bytes_zero_(const uint8_t *a, uint32_t n) {
    uint8_t any = 0;
    for (uint32_t i = 0; i < n; i++) {
        any |= a[i];
    }
    return any == 0;
}

static inline bool vnt_word_eq(const vnt_word *a, const vnt_word *b) {
    return vnt_bytes_equal_(a->bytes, b->bytes, 32);
}

static inline bool vnt_word_is_zero(const vnt_word *w) {
    return vnt_bytes_zero_(w->bytes, 32);
}

static inline bool vnt_address_eq(const vnt_address *a, const vnt_address *b) {
    return vnt_bytes_equal_(a->bytes, b->bytes, 20);
}

static inline bool vnt_address_is_zero(const vnt_address *a) {
    return vnt_bytes_zero_(a->bytes, 20);
}

/* The address left-padded to a word, as the ABI, topics and mapping keys hold it. */
static inline vnt_word vnt_address_to_word(const vnt_address *a) {
    vnt_word w = {{0}};
    __builtin_memcpy(w.bytes + 12, a->bytes, 20);
    return w;
}

/* True when the top 12 bytes are zero, i.e. the word is a clean ABI address. */
static inline bool vnt_word_is_address(const vnt_word *w) {
    return vnt_bytes_zero_(w->bytes, 12);
}

/* The low 20 bytes of a word; vnt_word_is_address says whether that is all of it. */
static inline vnt_address vnt_word_to_address(const vnt_word *w) {
    vnt_address a;
    __builtin_memcpy(a.bytes, w->bytes + 12, 20);
    return a;
}

static inline vnt_u256 vnt_u256_from_u64(uint64_t v) {
    vnt_u256 r = {{0}};
    for (int i = 31; i >= 24; i--) {
        r.bytes[i] = (uint8_t)v;
        v >>= 8;
    }
    return r;
}

/* Writes the low 64 bits to `*out`; returns true if that is the whole value. */
static inline bool vnt_u256_to_u64(const vnt_u256 *v, uint64_t *out) {
    uint64_t low = 0;
    for (int i = 24; i < 32; i++) {
        low = (low << 8) | v->bytes[i];
    }
    *out = low;
    return vnt_bytes_zero_(v->bytes, 24);
}

/* 2^256 - 1, Solidity's type(uint256).max. */
static inline vnt_u256 vnt_u256_max(void) {
    vnt_u256 r;
    __builtin_memset(r.bytes, 0xff, 32);
    return r;
}

static inline bool vnt_u256_is_zero(const vnt_u256 *v) {
    return vnt_word_is_zero(v);
}

static inline bool vnt_u256_eq(const vnt_u256 *a, const vnt_u256 *b) {
    return vnt_word_eq(a, b);
}

/* -1, 0 or 1 as a is below, equal to or above b. */
static inline int vnt_u256_cmp(const vnt_u256 *a, const vnt_u256 *b) {
    for (int i = 0; i < 32; i++) {
        if (a->bytes[i] != b->bytes[i]) {
            return a->bytes[i] < b->bytes[i] ? -1 : 1;
        }
    }
    return 0;
}

static inline bool vnt_u256_lt(const vnt_u256 *a, const vnt_u256 *b) {
    return vnt_u256_cmp(a, b) < 0;
}

/* `*out = a + b` modulo 2^256; returns true if the sum overflowed, like
 * __builtin_add_overflow, so `if (vnt_u256_add_overflow(...)) revert` is Solidity's
 * checked arithmetic. `out` may be `a` or `b`. */
static inline bool vnt_u256_add_overflow(const vnt_u256 *a, const vnt_u256 *b, vnt_u256 *out) {
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned sum = (unsigned)a->bytes[i] + b->bytes[i] + carry;
        out->bytes[i] = (uint8_t)sum;
        carry = sum >> 8;
    }
    return carry != 0;
}

/* `*out = a - b` modulo 2^256; returns true if b was greater than a. `out` may be `a`
 * or `b`. */
static inline bool vnt_u256_sub_overflow(const vnt_u256 *a, const vnt_u256 *b, vnt_u256 *out) {
    unsigned borrow = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned difference = (unsigned)a->bytes[i] - b->bytes[i] - borrow;
        out->bytes[i] = (uint8_t)difference;
        borrow = (difference >> 8) & 1;
    }
    return borrow != 0;
}

/* ------------------------------------------------------------------------------------ */
/* Hashes and signatures (host functions, charged per byte).                                */
/* ------------------------------------------------------------------------------------ */

static inline vnt_word vnt_keccak256(const void *data, uint32_t len) {
    vnt_word out;
    vnt_host_keccak256(data, len, out.bytes);
    return out;
}

static inline vnt_word vnt_sha256(const void *data, uint32_t len) {
    vnt_word out;
    vnt_host_sha256(data, len, out.bytes);
    return out;
}

static inline vnt_word vnt_blake2b_256(const void *data, uint32_t len) {
    vnt_word out;
    vnt_host_blake2b_256(data, len, out.bytes);
    return out;
}

/* Sets `*signer` and returns true if `signature` (r || s || v, 65 bytes, low s) signs
 * `hash`. */
static inline bool vnt_ecrecover(const vnt_word *hash, const uint8_t *signature,
                                 vnt_address *signer) {
    return vnt_host_ecrecover(hash->bytes, signature, signer->bytes) == 1;
}

static inline bool vnt_ed25519_verify(const void *message, uint32_t len,
                                      const uint8_t *signature, const vnt_word *public_key) {
    return vnt_host_ed25519_verify(message, len, signature, public_key->bytes) == 1;
}

/* ------------------------------------------------------------------------------------ */
/* The call's context.                                                                      */
/* ------------------------------------------------------------------------------------ */

/* The account that called this frame (msg.sender). */
static inline vnt_address vnt_caller(void) {
    vnt_address a;
    vnt_host_caller(a.bytes);
    return a;
}

/* The account that signed the transaction (tx.origin). */
static inline vnt_address vnt_origin(void) {
    vnt_address a;
    vnt_host_origin(a.bytes);
    return a;
}

/* This contract's own address (address(this)). */
static inline vnt_address vnt_self(void) {
    vnt_address a;
    vnt_host_address(a.bytes);
    return a;
}

/* Value sent with the call (msg.value). */
static inline vnt_u256 vnt_value(void) {
    vnt_u256 v;
    vnt_host_call_value(v.bytes);
    return v;
}

/* For contracts that are not payable: reverts "value not accepted" when value came with
 * the call, which would otherwise be stuck in the contract for good. */
static inline void vnt_reject_value(void) {
    vnt_u256 value = vnt_value();
    if (!vnt_u256_is_zero(&value)) {
        vnt_revert_reason(VNT_VALUE_NOT_ACCEPTED);
    }
}

static inline uint64_t vnt_block_number(void) { return vnt_host_block_number(); }
static inline uint64_t vnt_timestamp(void) { return vnt_host_timestamp(); }
static inline uint64_t vnt_chain_id(void) { return vnt_host_chain_id(); }
static inline uint64_t vnt_gas_left(void) { return vnt_host_gas_left(); }

static inline vnt_u256 vnt_balance(const vnt_address *account) {
    vnt_u256 v;
    vnt_host_balance(account->bytes, v.bytes);
    return v;
}

/* ------------------------------------------------------------------------------------ */
/* ABI encoding: Solidity's head/tail layout of 32-byte words.                              */
/* ------------------------------------------------------------------------------------ */

static inline void vnt_abi_put_selector(uint8_t *out, uint32_t selector) {
    out[0] = (uint8_t)(selector >> 24);
    out[1] = (uint8_t)(selector >> 16);
    out[2] = (uint8_t)(selector >> 8);
    out[3] = (uint8_t)selector;
}

static inline void vnt_abi_put_word(uint8_t *out, const vnt_word *w) {
    __builtin_memcpy(out, w->bytes, 32);
}

static inline void vnt_abi_put_u256(uint8_t *out, const vnt_u256 *v) {
    vnt_abi_put_word(out, v);
}

static inline void vnt_abi_put_u64(uint8_t *out, uint64_t v) {
    vnt_u256 word = vnt_u256_from_u64(v);
    vnt_abi_put_word(out, &word);
}

static inline void vnt_abi_put_address(uint8_t *out, const vnt_address *a) {
    vnt_word word = vnt_address_to_word(a);
    vnt_abi_put_word(out, &word);
}

static inline void vnt_abi_put_bool(uint8_t *out, bool b) {
    vnt_abi_put_u64(out, b ? 1 : 0);
}

/* Size of a lone `string` or `bytes` value of `len` bytes, ABI-encoded as a one-element
 * tuple: the offset word, the length word, the bytes padded to whole words. */
static inline uint32_t vnt_abi_string_size(uint32_t len) {
    return 64 + ((len + 31) & ~(uint32_t)31);
}

/* Encodes `data` as a one-element tuple into `out` (vnt_abi_string_size(len) bytes);
 * returns the bytes written. */
static inline uint32_t vnt_abi_put_string(uint8_t *out, const void *data, uint32_t len) {
    uint32_t size = vnt_abi_string_size(len);
    vnt_abi_put_u64(out, 32);
    vnt_abi_put_u64(out + 32, len);
    __builtin_memcpy(out + 64, data, len);
    __builtin_memset(out + 64 + len, 0, size - 64 - len);
    return size;
}

VNT_NORETURN static inline void vnt_return_word(const vnt_word *w) {
    vnt_return(w->bytes, 32);
}

VNT_NORETURN static inline void vnt_return_u256(const vnt_u256 *v) {
    vnt_return_word(v);
}

/* Returns any unsigned integer type up to 64 bits (uint8 to uint64 encode alike). */
VNT_NORETURN static inline void vnt_return_u64(uint64_t v) {
    vnt_u256 word = vnt_u256_from_u64(v);
    vnt_return_word(&word);
}

VNT_NORETURN static inline void vnt_return_bool(bool b) {
    vnt_return_u64(b ? 1 : 0);
}

VNT_NORETURN static inline void vnt_return_address(const vnt_address *a) {
    vnt_word word = vnt_address_to_word(a);
    vnt_return_word(&word);
}

/* Returns a `string` (or `bytes`) value. */
VNT_NORETURN static inline void vnt_return_string(const void *data, uint32_t len) {
    uint8_t *out = vnt_alloc(vnt_abi_string_size(len));
    vnt_return(out, vnt_abi_put_string(out, data, len));
}

/* Error(string): selector 0x08c379a0, then the reason encoded as a string. */
VNT_NORETURN static inline void vnt_revert_reason_n(const char *reason, uint32_t len) {
    uint8_t *out = vnt_alloc(4 + vnt_abi_string_size(len));
    vnt_abi_put_selector(out, 0x08c379a0);
    vnt_revert(out, 4 + vnt_abi_put_string(out + 4, reason, len));
}

/* ------------------------------------------------------------------------------------ */
/* Calldata and ABI decoding.                                                               */
/* ------------------------------------------------------------------------------------ */

/* Weak like the heap pointer: one copy of the input for the whole contract. */
__attribute__((weak)) const uint8_t *vnt_input_ptr_ = 0;
__attribute__((weak)) uint32_t vnt_input_len_ = 0;
__attribute__((weak)) bool vnt_input_loaded_ = false;

/* The call's whole input: in `call`, the selector then the arguments; in `deploy`, the
 * constructor arguments. Copied from the host once, on first use: one copy costs less
 * than a host call for every argument. */
static inline vnt_bytes vnt_input(void) {
    if (!vnt_input_loaded_) {
        uint32_t len = vnt_host_input_size();
        uint8_t *buffer = vnt_alloc(len);
        vnt_host_input_copy(buffer, 0, len);
        vnt_input_ptr_ = buffer;
        vnt_input_len_ = len;
        vnt_input_loaded_ = true;
    }
    return (vnt_bytes){vnt_input_ptr_, vnt_input_len_};
}

/* The arguments of a message call: the input after the 4-byte selector. Reverts
 * "invalid calldata" when the input is shorter than a selector. */
static inline vnt_bytes vnt_args(void) {
    vnt_bytes input = vnt_input();
    if (input.len < 4) {
        vnt_revert_reason(VNT_INVALID_CALLDATA);
    }
    return (vnt_bytes){input.ptr + 4, input.len - 4};
}

/* The function selector of a message call, as the big-endian number selectors are
 * written as (0xa9059cbb for transfer(address,uint256)). Reverts like vnt_args. */
static inline uint32_t vnt_selector(void) {
    vnt_bytes input = vnt_input();
    if (input.len < 4) {
        vnt_revert_reason(VNT_INVALID_CALLDATA);
    }
    const uint8_t *s = input.ptr;
    return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

/* The decoders below read head word `index` of an ABI-encoded tuple — vnt_args() in
 * `call`, vnt_input() in `deploy`, or a call's vnt_result() — and revert "invalid
 * calldata" when it is missing or not a valid value of its type, as Solidity does.
 * Decode every argument before acting on any, so malformed input is reported first. */

static inline vnt_word vnt_abi_word(vnt_bytes data, uint32_t index) {
    uint64_t end = ((uint64_t)index + 1) * 32;
    if (end > data.len) {
        vnt_revert_reason(VNT_INVALID_CALLDATA);
    }
    vnt_word w;
    __builtin_memcpy(w.bytes, data.ptr + end - 32, 32);
    return w;
}

static inline vnt_u256 vnt_abi_u256(vnt_bytes data, uint32_t index) {
    return vnt_abi_word(data, index);
}

/* Also refuses a word whose top 12 bytes are not zero: an address with "dirty" high
 * bytes is how address-confusion attacks reach a contract. */
static inline vnt_address vnt_abi_address(vnt_bytes data, uint32_t index) {
    vnt_word w = vnt_abi_word(data, index);
    if (!vnt_word_is_address(&w)) {
        vnt_revert_reason(VNT_INVALID_CALLDATA);
    }
    return vnt_word_to_address(&w);
}

/* Only 0 and 1 are booleans. */
static inline bool vnt_abi_bool(vnt_bytes data, uint32_t index) {
    vnt_word w = vnt_abi_word(data, index);
    uint64_t v;
    if (!vnt_u256_to_u64(&w, &v) || v > 1) {
        vnt_revert_reason(VNT_INVALID_CALLDATA);
    }
    return v == 1;
}

/* A dynamic `string` or `bytes` argument: its head word is the offset in `data` of a
 * length word followed by the bytes. The result borrows from `data` and is not
 * NUL-terminated. Reverts when the offset or the length reaches outside `data`. */
static inline vnt_bytes vnt_abi_string(vnt_bytes data, uint32_t index) {
    vnt_word head = vnt_abi_word(data, index);
    uint64_t offset, len;
    if (!vnt_u256_to_u64(&head, &offset) || offset > data.len || data.len - offset < 32) {
        vnt_revert_reason(VNT_INVALID_CALLDATA);
    }
    vnt_word length;
    __builtin_memcpy(length.bytes, data.ptr + offset, 32);
    if (!vnt_u256_to_u64(&length, &len) || len > data.len - offset - 32) {
        vnt_revert_reason(VNT_INVALID_CALLDATA);
    }
    return (vnt_bytes){data.ptr + offset + 32, (uint32_t)len};
}

/* ------------------------------------------------------------------------------------ */
/* Storage, laid out as Solidity lays it out, so tools that read slots keep working.       */
/* ------------------------------------------------------------------------------------ */

/* Slot n, the 32-byte big-endian integer n: where the n-th state variable lives. */
static inline vnt_word vnt_slot(uint64_t n) {
    return vnt_u256_from_u64(n);
}

/* A slot never written reads as zero. */
static inline vnt_word vnt_sload(const vnt_word *key) {
    vnt_word value;
    vnt_host_storage_read(key->bytes, value.bytes);
    return value;
}

static inline void vnt_sstore(const vnt_word *key, const vnt_word *value) {
    vnt_host_storage_write(key->bytes, value->bytes);
}

/* Where `mapping[key]` lives for a mapping at `slot`: keccak256(key ++ slot). Nest it for
 * a mapping of mappings: the inner mapping's slot is the outer entry's slot. */
static inline vnt_word vnt_mapping_slot(const vnt_word *slot, const vnt_word *key) {
    uint8_t preimage[64];
    __builtin_memcpy(preimage, key->bytes, 32);
    __builtin_memcpy(preimage + 32, slot->bytes, 32);
    return vnt_keccak256(preimage, 64);
}

static inline vnt_word vnt_mapping_slot_address(const vnt_word *slot, const vnt_address *key) {
    vnt_word word = vnt_address_to_word(key);
    return vnt_mapping_slot(slot, &word);
}

/* The slot `n` places after `slot`, wrapping at 2^256 as slot arithmetic does. */
static inline vnt_word vnt_slot_add(const vnt_word *slot, uint64_t n) {
    vnt_word offset = vnt_u256_from_u64(n), sum;
    (void)vnt_u256_add_overflow(slot, &offset, &sum);
    return sum;
}

/* Strings and bytes, VNT's layout (the same for C and Rust contracts): `slot` holds the
 * length in bytes as a uint256 and the bytes fill the words from keccak256(slot) onwards,
 * the last one zero-padded. Unlike Solidity's there is no short form, so the length is
 * always in the same place. Words a longer previous value used are cleared. */
static inline void vnt_sstore_string(const vnt_word *slot, const void *data, uint32_t len) {
    const uint8_t *bytes = data;
    vnt_word old = vnt_sload(slot), length = vnt_u256_from_u64(len);
    uint64_t old_len;
    /* A length too large for memory was never written by this function; clear nothing. */
    uint64_t old_words = vnt_u256_to_u64(&old, &old_len) ? (old_len + 31) / 32 : 0;
    vnt_sstore(slot, &length);
    vnt_word base = vnt_keccak256(slot->bytes, 32);
    uint32_t words = (len + 31) / 32;
    for (uint32_t i = 0; i < words; i++) {
        vnt_word chunk = {{0}}, at = vnt_slot_add(&base, i);
        uint32_t left = len - 32 * i;
        __builtin_memcpy(chunk.bytes, bytes + 32 * i, left < 32 ? left : 32);
        vnt_sstore(&at, &chunk);
    }
    for (uint64_t i = words; i < old_words; i++) {
        vnt_word zero = {{0}}, at = vnt_slot_add(&base, i);
        vnt_sstore(&at, &zero);
    }
}

/* Reads a string stored by vnt_sstore_string into the heap. */
static inline vnt_bytes vnt_sload_string(const vnt_word *slot) {
    vnt_word length = vnt_sload(slot);
    uint64_t len;
    if (!vnt_u256_to_u64(&length, &len) || len > UINT32_MAX - 31) {
        __builtin_trap(); /* longer than memory: not written by vnt_sstore_string */
    }
    uint32_t words = ((uint32_t)len + 31) / 32;
    uint8_t *out = vnt_alloc(words * 32);
    vnt_word base = vnt_keccak256(slot->bytes, 32);
    for (uint32_t i = 0; i < words; i++) {
        vnt_word at = vnt_slot_add(&base, i);
        vnt_host_storage_read(at.bytes, out + 32 * i);
    }
    return (vnt_bytes){out, (uint32_t)len};
}

/* ------------------------------------------------------------------------------------ */
/* Events.                                                                                  */
/* ------------------------------------------------------------------------------------ */

/* Emits a log with up to four topics — for a Solidity-style event, topics[0] is the
 * keccak256 of its signature and the rest its indexed fields — and `data`, the
 * non-indexed fields ABI-encoded. */
static inline void vnt_emit(const vnt_word *topics, uint32_t topic_count, const void *data,
                            uint32_t len) {
    vnt_host_log(topics, topic_count, data, len);
}

/* An indexed address as a topic, left-padded like an ABI word. An indexed number is its
 * own topic: a vnt_u256 already is a word. */
static inline vnt_word vnt_topic_address(const vnt_address *a) {
    return vnt_address_to_word(a);
}

/* ------------------------------------------------------------------------------------ */
/* Calling and creating contracts.                                                          */
/* ------------------------------------------------------------------------------------ */

/* What vnt_call and its siblings return. */
enum {
    VNT_CALL_SUCCESS = 0,
    /* The callee reverted; vnt_result() holds its revert data. */
    VNT_CALL_REVERTED = 1,
    /* The callee trapped, the value exceeded the balance, the call depth limit (32) was
     * reached, or the code did not deploy. */
    VNT_CALL_FAILED = 2,
};

/* Forward as much gas as allowed: the VM caps every call at 63/64 of the gas left. */
#define VNT_ALL_GAS UINT64_MAX

/* Runs `target`'s `call` export with `input` (selector and ABI-encoded arguments),
 * sending `value`. Calling an account without code succeeds and only moves the value. */
static inline int32_t vnt_call(const vnt_address *target, const vnt_u256 *value,
                               const void *input, uint32_t len, uint64_t gas) {
    return vnt_host_call(target->bytes, value->bytes, input, len, gas);
}

/* Like vnt_call without value, and neither the callee nor anything it calls may change
 * state: the way to read another contract safely. */
static inline int32_t vnt_static_call(const vnt_address *target, const void *input,
                                      uint32_t len, uint64_t gas) {
    return vnt_host_static_call(target->bytes, input, len, gas);
}

/* Runs `target`'s code as this contract: on this storage, with this call's caller and
 * value. */
static inline int32_t vnt_delegate_call(const vnt_address *target, const void *input,
                                        uint32_t len, uint64_t gas) {
    return vnt_host_delegate_call(target->bytes, input, len, gas);
}

/* Deploys the WebAssembly module `code` with `value`; on success writes the new
 * contract's address to `*created`. */
static inline int32_t vnt_create(const void *code, uint32_t len, const vnt_u256 *value,
                                 uint64_t gas, vnt_address *created) {
    return vnt_host_create(code, len, value->bytes, gas, created->bytes);
}

/* The return or revert data of the last call or creation, copied into the heap. */
static inline vnt_bytes vnt_result(void) {
    uint32_t len = vnt_host_result_size();
    uint8_t *out = vnt_alloc(len);
    vnt_host_result_copy(out, 0, len);
    return (vnt_bytes){out, len};
}

#endif /* VNT_H */
