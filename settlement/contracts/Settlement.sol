// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// Minimal ERC-20 surface the escrow needs.
interface IERC20 {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @title gridbook settlement: batched, netted, exactly-once settlement of matched deals.
/// @notice Requesters escrow one ERC-20 token; the settler (the operator's key) settles batches of
/// deals, numbered 1, 2, 3, ... with no gap and no repeat; providers are credited and `claim`.
/// See docs/settlement.md for the leaf encoding and the Merkle tree rule.
contract Settlement {
    /// One deal of a batch. Accounts are indices into the batch's `accounts` table so that
    /// netting is a memory array access and each address is in calldata once; the Merkle leaf
    /// still commits to the addresses themselves.
    struct Deal {
        uint64 dealId;
        uint32 requester;
        uint32 provider;
        uint128 amount;
    }

    /// A requested withdrawal: `amount` may be withdrawn from `unlockAt` (unix seconds) on.
    struct PendingWithdrawal {
        uint128 amount;
        uint64 unlockAt;
    }

    uint256 private constant BPS = 10_000;

    /// The escrowed settlement token.
    IERC20 public immutable token;
    /// The only account allowed to call `settleBatch`; also receives the fees (as credit).
    address public immutable settler;
    /// Operator fee in basis points, taken out of each deal's amount.
    uint16 public immutable feeBps;
    /// Seconds between `requestWithdrawal` and `withdraw`.
    uint64 public immutable withdrawalDelay;

    /// The last settled batch; the next must be exactly `lastBatchId + 1`.
    uint64 public lastBatchId;
    /// One slot per account: escrow in the low 128 bits, claimable credit in the high 128 bits,
    /// so that settling touches one storage slot per account.
    mapping(address => uint256) private accountSlot;
    /// Requested withdrawals.
    mapping(address => PendingWithdrawal) private pending;
    /// Merkle root of each settled batch.
    mapping(uint64 => bytes32) public batchRoot;

    event Deposited(address indexed account, address indexed from, uint256 amount);
    event WithdrawalRequested(address indexed account, uint256 amount, uint64 unlockAt);
    event Withdrawn(address indexed account, uint256 amount);
    event Claimed(address indexed account, uint256 amount);
    event BatchSettled(uint64 indexed batchId, bytes32 merkleRoot, uint256 dealCount, uint256 volume);

    error NotSettler(address caller);
    error WrongBatchId(uint64 batchId, uint64 expected);
    error EmptyBatch();
    error BadAccountIndex(uint256 dealIndex);
    error InsufficientEscrow(address account, uint256 escrow, uint256 needed);
    error FeeTooHigh(uint16 feeBps);
    error ZeroAmount();
    error AmountTooLarge();
    error NoPendingWithdrawal();
    error WithdrawalLocked(uint64 unlockAt);
    error TransferFailed();

    constructor(IERC20 token_, address settler_, uint16 feeBps_, uint64 withdrawalDelay_) {
        if (feeBps_ > BPS) revert FeeTooHigh(feeBps_);
        token = token_;
        settler = settler_;
        feeBps = feeBps_;
        withdrawalDelay = withdrawalDelay_;
    }

    // ---------------------------------------------------------------- escrow

    /// Escrows `amount` of the caller's tokens (approve first).
    function deposit(uint256 amount) external {
        _deposit(msg.sender, amount);
    }

    /// Escrows `amount` of the caller's tokens for `account` (a sponsor, or the operator).
    function depositFor(address account, uint256 amount) external {
        _deposit(account, amount);
    }

    function _deposit(address account, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        uint256 slot = accountSlot[account];
        uint256 escrow = uint128(slot) + amount;
        if (escrow > type(uint128).max) revert AmountTooLarge();
        accountSlot[account] = (slot & ~uint256(type(uint128).max)) | escrow;
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        emit Deposited(account, msg.sender, amount);
    }

    /// Announces a withdrawal of `amount`; replaces any earlier request and restarts the delay.
    /// Until `withdraw`, settlement may still draw on the escrow (deals matched before).
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint128).max) revert AmountTooLarge();
        uint64 unlockAt = uint64(block.timestamp) + withdrawalDelay;
        pending[msg.sender] = PendingWithdrawal(uint128(amount), unlockAt);
        emit WithdrawalRequested(msg.sender, amount, unlockAt);
    }

    /// Pays out the requested withdrawal once the delay has passed: the requested amount, or
    /// what is left in escrow if settlement drew on it meanwhile.
    function withdraw() external {
        PendingWithdrawal memory p = pending[msg.sender];
        if (p.amount == 0) revert NoPendingWithdrawal();
        if (block.timestamp < p.unlockAt) revert WithdrawalLocked(p.unlockAt);
        delete pending[msg.sender];
        uint256 slot = accountSlot[msg.sender];
        uint256 escrow = uint128(slot);
        uint256 paid = p.amount < escrow ? p.amount : escrow;
        accountSlot[msg.sender] = slot - paid;
        if (paid > 0 && !token.transfer(msg.sender, paid)) revert TransferFailed();
        emit Withdrawn(msg.sender, paid);
    }

    /// Pays out the caller's whole credit (income as a provider, fees as the settler).
    function claim() external {
        uint256 slot = accountSlot[msg.sender];
        uint256 credit = slot >> 128;
        accountSlot[msg.sender] = uint128(slot);
        if (credit > 0 && !token.transfer(msg.sender, credit)) revert TransferFailed();
        emit Claimed(msg.sender, credit);
    }

    // ---------------------------------------------------------------- views

    /// Escrow settlement may draw on.
    function escrowOf(address account) external view returns (uint256) {
        return uint128(accountSlot[account]);
    }

    /// Credit the account may `claim`.
    function creditOf(address account) external view returns (uint256) {
        return accountSlot[account] >> 128;
    }

    /// The account's requested withdrawal (zero amount when none).
    function pendingWithdrawal(address account)
        external
        view
        returns (uint256 amount, uint64 unlockAt)
    {
        PendingWithdrawal memory p = pending[account];
        return (p.amount, p.unlockAt);
    }

    // ---------------------------------------------------------------- settlement

    /// Settles batch `batchId` (exactly `lastBatchId + 1`). Each deal's requester pays `amount`
    /// from escrow; its provider is credited `amount - floor(amount * feeBps / 10000)`; the
    /// settler is credited the fees. Amounts are netted per account first: an account that both
    /// pays and earns in the batch has only the difference drawn from (or credited to) it. The
    /// whole batch reverts if any account's net debit exceeds its escrow.
    function settleBatch(uint64 batchId, address[] calldata accounts, Deal[] calldata deals)
        external
    {
        if (msg.sender != settler) revert NotSettler(msg.sender);
        uint64 expected = lastBatchId + 1;
        if (batchId != expected) revert WrongBatchId(batchId, expected);
        uint256 dealCount = deals.length;
        if (dealCount == 0) revert EmptyBatch();

        uint256 accountCount = accounts.length;
        // Net change per account index: credits minus debits. Each term is < 2^128 and a batch
        // holds far fewer than 2^126 deals, so int256 cannot overflow.
        int256[] memory net = new int256[](accountCount);
        bytes32[] memory nodes = new bytes32[](dealCount);
        uint256 volume;
        uint256 fees;
        uint256 bps = feeBps;
        for (uint256 i; i < dealCount; ++i) {
            Deal calldata d = deals[i];
            uint256 r = d.requester;
            uint256 p = d.provider;
            if (r >= accountCount || p >= accountCount) revert BadAccountIndex(i);
            uint256 amount = d.amount;
            uint256 fee = amount * bps / BPS;
            unchecked {
                net[r] -= int256(amount);
                net[p] += int256(amount - fee);
                fees += fee;
                volume += amount;
            }
            nodes[i] = _leaf(batchId, d.dealId, accounts[r], accounts[p], amount);
        }

        for (uint256 j; j < accountCount; ++j) {
            int256 delta = net[j];
            if (delta == 0) continue;
            address account = accounts[j];
            uint256 slot = accountSlot[account];
            if (delta < 0) {
                uint256 debit = uint256(-delta);
                uint256 escrow = uint128(slot);
                if (debit > escrow) revert InsufficientEscrow(account, escrow, debit);
                accountSlot[account] = slot - debit;
            } else {
                accountSlot[account] = _addCredit(slot, uint256(delta));
            }
        }
        if (fees > 0) accountSlot[settler] = _addCredit(accountSlot[settler], fees);

        bytes32 root = _root(nodes);
        batchRoot[batchId] = root;
        lastBatchId = batchId;
        emit BatchSettled(batchId, root, dealCount, volume);
    }

    function _addCredit(uint256 slot, uint256 amount) private pure returns (uint256) {
        uint256 credit = (slot >> 128) + amount;
        if (credit > type(uint128).max) revert AmountTooLarge();
        return (credit << 128) | uint128(slot);
    }

    /// leaf = keccak256(abi.encode(uint64 batchId, uint64 dealId, address requester,
    /// address provider, uint256 amount)).
    function _leaf(uint64 batchId, uint64 dealId, address requester, address provider, uint256 amount)
        private
        pure
        returns (bytes32 leaf)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, batchId)
            mstore(add(ptr, 0x20), dealId)
            mstore(add(ptr, 0x40), requester)
            mstore(add(ptr, 0x60), provider)
            mstore(add(ptr, 0x80), amount)
            leaf := keccak256(ptr, 0xa0)
        }
    }

    /// Root over `nodes` (overwritten): pairs are hashed sorted, keccak256(min ‖ max), as
    /// OpenZeppelin's MerkleProof does; an odd last node is promoted to the next level unchanged.
    function _root(bytes32[] memory nodes) private pure returns (bytes32 root) {
        assembly ("memory-safe") {
            let base := add(nodes, 0x20)
            let n := mload(nodes)
            for {} gt(n, 1) {} {
                let pairs := shr(1, n)
                for { let i := 0 } lt(i, pairs) { i := add(i, 1) } {
                    let a := mload(add(base, shl(6, i)))
                    let b := mload(add(base, add(shl(6, i), 0x20)))
                    if gt(a, b) {
                        let t := a
                        a := b
                        b := t
                    }
                    mstore(0x00, a)
                    mstore(0x20, b)
                    mstore(add(base, shl(5, i)), keccak256(0x00, 0x40))
                }
                if and(n, 1) {
                    mstore(add(base, shl(5, pairs)), mload(add(base, shl(5, sub(n, 1)))))
                }
                n := add(pairs, and(n, 1))
            }
            root := mload(base)
        }
    }
}
