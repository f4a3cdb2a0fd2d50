// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// One function per way a Solidity call can revert, for the client tests that check the
/// node returns revert data (JSON-RPC error code 3, hex `data`) that Ethereum tools decode.
contract Reverts {
    error Insufficient(uint256 have, uint256 want);

    uint256 public calls;

    /// `Error(string)` unless `x` exceeds 10.
    function withReason(uint256 x) external returns (uint256) {
        require(x > 10, "x must exceed 10");
        calls += 1;
        return x;
    }

    /// A custom error carrying two values.
    function withCustomError(uint256 want) external {
        calls += 1;
        revert Insufficient(calls, want);
    }

    /// `Panic(0x12)` when `b` is zero.
    function divide(uint256 a, uint256 b) external returns (uint256) {
        calls += 1;
        return a / b;
    }

    /// `Panic(0x01)` unless `x` is zero.
    function assertZero(uint256 x) external {
        calls += 1;
        assert(x == 0);
    }

    /// Reverts with no data at all.
    function empty() external {
        calls += 1;
        revert();
    }
}
