// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// The Solidity half of the cross-VM examples (`docs/evm.md`): contracts that call
/// WebAssembly tokens and are called by the Rust relay (`contracts/relay-rust`).

interface IERC20 {
    function transfer(address to, uint256 value) external returns (bool);
    function balanceOf(address owner) external view returns (uint256);
}

/// Pays out of its own balance of any ERC-20, Solidity or WebAssembly.
contract Payer {
    uint256 public payments;

    event Paid(address indexed token, address indexed to, uint256 value);

    /// Pays `value` of `token` to `to`; with `failAfter` it reverts after the token's
    /// transfer succeeded, which must undo that transfer too.
    function pay(IERC20 token, address to, uint256 value, bool failAfter) external {
        payments += 1;
        require(token.transfer(to, value), "Payer: transfer returned false");
        emit Paid(address(token), to, value);
        if (failAfter) revert("Payer: failing after the transfer");
    }

    function holding(IERC20 token) external view returns (uint256) {
        return token.balanceOf(address(this));
    }
}

/// A counter that refuses a zero step, for calls from the Rust relay.
contract Counter {
    uint256 public count;

    event Stepped(address indexed by, uint256 count);

    function step(uint256 by) external returns (uint256) {
        require(by != 0, "Counter: zero step");
        count += by;
        emit Stepped(msg.sender, count);
        return count;
    }
}
