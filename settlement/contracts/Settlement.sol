// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// Minimal ERC-20 surface the escrow needs.
interface IERC20 {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @title gridbook settlement: batched, exactly-once settlement of matched deals.
/// @notice Requesters escrow one ERC-20 token; the settler (the operator's key) settles batches of
/// deals, numbered 1, 2, 3, ... with no gap and no repeat. A batch writes no per-account storage:
/// it commits, computed on chain from its calldata, a Merkle root over its deals and one over
/// its accounts' totals (what each paid and received in the batch). Providers `claim` their
/// received totals with proofs; anyone may `chargeDebits` a requester's paid totals against its
/// escrow with proofs, which the settler does when a withdrawal is requested. Each (account,
/// batch) leaf is claimed at most once and charged at most once. See docs/settlement.md for the
/// leaf encodings, the tree rule and the trust model.
contract Settlement {
    /// One account's totals in one settled batch: a leaf of the batch's account tree.
    struct AccountLeaf {
        uint64 batchId;
        uint256 paid;
        uint256 received;
    }

    /// A requested withdrawal: `amount` may be withdrawn from `unlockAt` (unix seconds) on.
    struct PendingWithdrawal {
        uint128 amount;
        uint64 unlockAt;
    }

    /// What an account put in and took out (one slot).
    struct Funds {
        uint128 deposited;
        uint128 withdrawn;
    }

    /// What has been applied from its account leaves (one slot): debits charged against its
    /// escrow, credits paid out.
    struct Ledger {
        uint128 charged;
        uint128 claimed;
    }

    uint256 private constant BPS = 10_000;

    /// The escrowed settlement token.
    IERC20 public immutable token;
    /// The only account allowed to call `settleBatch`; also receives the fees (`claimFees`).
    address public immutable settler;
    /// Operator fee in basis points, taken out of each deal's amount.
    uint16 public immutable feeBps;
    /// Seconds between `requestWithdrawal` and `withdraw`.
    uint64 public immutable withdrawalDelay;

    /// The last settled batch; the next must be exactly `lastBatchId + 1`.
    uint64 public lastBatchId;
    /// Fees of all settled batches, and what the settler has claimed of them (one slot).
    uint128 public feesAccrued;
    uint128 public feesClaimed;
    mapping(address => Funds) private funds;
    mapping(address => Ledger) private ledger;
    /// Requested withdrawals.
    mapping(address => PendingWithdrawal) private pending;
    /// Merkle root of each settled batch's deals.
    mapping(uint64 => bytes32) public batchRoot;
    /// Merkle root of each settled batch's account totals.
    mapping(uint64 => bytes32) public accountsRoot;
    /// Bit `batchId % 256` of word `batchId / 256`: the account's leaf of that batch is charged.
    mapping(address => mapping(uint256 => uint256)) private chargedBits;
    /// Same layout: the account's leaf of that batch is claimed.
    mapping(address => mapping(uint256 => uint256)) private claimedBits;

    event Deposited(address indexed account, address indexed from, uint256 amount);
    event WithdrawalRequested(address indexed account, uint256 amount, uint64 unlockAt);
    event Withdrawn(address indexed account, uint256 amount);
    event Claimed(address indexed account, uint256 amount);
    event Charged(address indexed account, uint256 amount);
    event FeesClaimed(uint256 amount);
    event BatchSettled(uint64 indexed batchId, bytes32 merkleRoot, uint256 dealCount, uint256 volume);

    error NotSettler(address caller);
    error WrongBatchId(uint64 batchId, uint64 expected);
    error EmptyBatch();
    error BadAccountIndex(uint256 dealIndex);
    error AccountsNotAscending(uint256 index);
    error BadAccountsLength(uint256 length);
    error FeeTooHigh(uint16 feeBps);
    error ZeroAmount();
    error AmountTooLarge();
    error NoPendingWithdrawal();
    error WithdrawalLocked(uint64 unlockAt);
    error TransferFailed();
    error LengthMismatch();
    error UnknownBatch(uint64 batchId);
    error BadProof(uint64 batchId);
    error AlreadyApplied(uint64 batchId);

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
        Funds memory f = funds[account];
        uint256 deposited = f.deposited + amount;
        if (deposited > type(uint128).max) revert AmountTooLarge();
        funds[account].deposited = uint128(deposited);
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        emit Deposited(account, msg.sender, amount);
    }

    /// Announces a withdrawal of `amount`; replaces any earlier request and restarts the delay.
    /// During the delay the settler charges the account's settled debits (`chargeDebits`) and
    /// settles no more of its deals than its escrow less this amount covers.
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint128).max) revert AmountTooLarge();
        uint64 unlockAt = uint64(block.timestamp) + withdrawalDelay;
        pending[msg.sender] = PendingWithdrawal(uint128(amount), unlockAt);
        emit WithdrawalRequested(msg.sender, amount, unlockAt);
    }

    /// Pays out the requested withdrawal once the delay has passed: the requested amount, or
    /// the escrow left after the charged debits, if less.
    function withdraw() external {
        PendingWithdrawal memory p = pending[msg.sender];
        if (p.amount == 0) revert NoPendingWithdrawal();
        if (block.timestamp < p.unlockAt) revert WithdrawalLocked(p.unlockAt);
        delete pending[msg.sender];
        uint256 free = _escrow(msg.sender);
        uint256 paid = p.amount < free ? p.amount : free;
        funds[msg.sender].withdrawn += uint128(paid);
        if (paid > 0 && !token.transfer(msg.sender, paid)) revert TransferFailed();
        emit Withdrawn(msg.sender, paid);
    }

    /// Pays the caller the `received` totals of its account leaves (each with its proof against
    /// `accountsRoot[leaf.batchId]`); a leaf claimed before reverts the whole call.
    function claim(AccountLeaf[] calldata leaves, bytes32[][] calldata proofs) external {
        uint256 total = _apply(msg.sender, leaves, proofs, claimedBits, false);
        Ledger memory l = ledger[msg.sender];
        uint256 claimed = l.claimed + total;
        if (claimed > type(uint128).max) revert AmountTooLarge();
        ledger[msg.sender].claimed = uint128(claimed);
        if (total > 0 && !token.transfer(msg.sender, total)) revert TransferFailed();
        emit Claimed(msg.sender, total);
    }

    /// Charges `account`'s escrow with the `paid` totals of its account leaves (each with its
    /// proof). Anyone may call it: it only applies what settled batches committed, once per leaf.
    function chargeDebits(address account, AccountLeaf[] calldata leaves, bytes32[][] calldata proofs)
        external
    {
        uint256 total = _apply(account, leaves, proofs, chargedBits, true);
        Ledger memory l = ledger[account];
        uint256 charged = l.charged + total;
        if (charged > type(uint128).max) revert AmountTooLarge();
        ledger[account].charged = uint128(charged);
        emit Charged(account, total);
    }

    /// Pays the settler the fees of the settled batches not claimed yet.
    function claimFees() external {
        if (msg.sender != settler) revert NotSettler(msg.sender);
        uint256 amount = feesAccrued - feesClaimed;
        feesClaimed = feesAccrued;
        if (amount > 0 && !token.transfer(msg.sender, amount)) revert TransferFailed();
        emit FeesClaimed(amount);
    }

    // ---------------------------------------------------------------- views

    /// What the account deposited, withdrew, was charged and claimed, in total.
    function accountOf(address account)
        external
        view
        returns (uint256 deposited, uint256 withdrawn, uint256 charged, uint256 claimed)
    {
        Funds memory f = funds[account];
        Ledger memory l = ledger[account];
        return (f.deposited, f.withdrawn, l.charged, l.claimed);
    }

    /// Whether the account's leaf of batch `batchId` is charged, and whether it is claimed.
    function applied(address account, uint64 batchId)
        external
        view
        returns (bool charged, bool claimed)
    {
        uint256 mask = 1 << (batchId & 0xff);
        return (
            chargedBits[account][batchId >> 8] & mask != 0,
            claimedBits[account][batchId >> 8] & mask != 0
        );
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

    function _escrow(address account) private view returns (uint256) {
        Funds memory f = funds[account];
        uint256 spent = uint256(f.withdrawn) + ledger[account].charged;
        return f.deposited > spent ? f.deposited - spent : 0;
    }

    /// Checks each leaf of `account` against its batch's account root, marks it in `bits`
    /// (reverting if marked before), and sums its `paid` (`debits`) or `received` totals.
    function _apply(
        address account,
        AccountLeaf[] calldata leaves,
        bytes32[][] calldata proofs,
        mapping(address => mapping(uint256 => uint256)) storage bits,
        bool debits
    ) private returns (uint256 total) {
        if (leaves.length != proofs.length) revert LengthMismatch();
        for (uint256 i; i < leaves.length; ++i) {
            AccountLeaf calldata leaf = leaves[i];
            bytes32 root = accountsRoot[leaf.batchId];
            if (root == bytes32(0)) revert UnknownBatch(leaf.batchId);
            bytes32 node = _accountLeaf(leaf.batchId, account, leaf.paid, leaf.received);
            bytes32[] calldata proof = proofs[i];
            for (uint256 k; k < proof.length; ++k) {
                node = _hashPair(node, proof[k]);
            }
            if (node != root) revert BadProof(leaf.batchId);
            uint256 word = leaf.batchId >> 8;
            uint256 mask = 1 << (leaf.batchId & 0xff);
            uint256 marked = bits[account][word];
            if (marked & mask != 0) revert AlreadyApplied(leaf.batchId);
            bits[account][word] = marked | mask;
            total += debits ? leaf.paid : leaf.received;
        }
    }

    // ---------------------------------------------------------------- settlement

    /// Settles batch `batchId` (exactly `lastBatchId + 1`). Each deal's requester pays `amount`;
    /// its provider receives `amount - floor(amount * feeBps / 10000)`; the settler earns the
    /// fee. The contract sums what each account paid and received in the batch and commits
    /// those totals as the account tree's root, beside the deals' root; it writes no
    /// per-account storage and does not check escrow (the settler does, off chain:
    /// docs/settlement.md).
    ///
    /// Packed calldata (a third of the ABI encoding's bytes, most of which were zeros):
    /// `accounts` is the batch's accounts, 20 bytes each, strictly ascending (so each has one
    /// leaf); each deal is one word: `dealId << 192 | requester << 160 | provider << 128 |
    /// amount`, `requester` and `provider` indices into `accounts`.
    function settleBatch(uint64 batchId, bytes calldata accounts, uint256[] calldata deals)
        external
    {
        if (msg.sender != settler) revert NotSettler(msg.sender);
        uint64 expected = lastBatchId + 1;
        if (batchId != expected) revert WrongBatchId(batchId, expected);
        uint256 dealCount = deals.length;
        if (dealCount == 0) revert EmptyBatch();
        if (accounts.length % 20 != 0) revert BadAccountsLength(accounts.length);
        uint256 accountCount = accounts.length / 20;
        _checkAscending(accounts, accountCount);

        uint256[] memory paid = new uint256[](accountCount);
        uint256[] memory received = new uint256[](accountCount);
        bytes32[] memory nodes = new bytes32[](dealCount);
        (uint256 volume, uint256 fees) =
            _sumDeals(batchId, accounts, deals, feeBps, paid, received, nodes);
        bytes32 root = _root(nodes);
        accountsRoot[batchId] = _accountRoot(batchId, accounts, paid, received);

        if (fees > 0) {
            uint256 accrued = feesAccrued + fees;
            if (accrued > type(uint128).max) revert AmountTooLarge();
            feesAccrued = uint128(accrued);
        }
        batchRoot[batchId] = root;
        lastBatchId = batchId;
        emit BatchSettled(batchId, root, dealCount, volume);
    }

    /// Reverts unless the packed addresses are strictly ascending.
    function _checkAscending(bytes calldata accounts, uint256 accountCount) private pure {
        uint256 bad;
        assembly ("memory-safe") {
            let previous := 0
            for { let j := 0 } lt(j, accountCount) { j := add(j, 1) } {
                let account := shr(96, calldataload(add(accounts.offset, mul(j, 20))))
                if and(gt(j, 0), iszero(gt(account, previous))) {
                    bad := add(j, 1)
                    break
                }
                previous := account
            }
        }
        if (bad != 0) revert AccountsNotAscending(bad - 1);
    }

    /// Per deal: adds its amount to the requester's `paid` and its amount less the fee to the
    /// provider's `received`, and writes its leaf into `nodes`: keccak256(abi.encode(uint64
    /// batchId, uint64 dealId, address requester, address provider, uint256 amount)). Amounts are < 2^128 and a batch
    /// has far fewer than 2^128 deals, so the sums cannot overflow.
    function _sumDeals(
        uint64 batchId,
        bytes calldata accounts,
        uint256[] calldata deals,
        uint256 bps,
        uint256[] memory paid,
        uint256[] memory received,
        bytes32[] memory nodes
    ) private pure returns (uint256 volume, uint256 fees) {
        uint256 accountCount = accounts.length / 20;
        uint256 badIndex;
        assembly ("memory-safe") {
            // The leaf's preimage is built past the free memory pointer: nothing is allocated
            // while this loop runs.
            let preimage := mload(0x40)
            mstore(preimage, batchId)
            let mask128 := sub(shl(128, 1), 1)
            for { let i := 0 } lt(i, deals.length) { i := add(i, 1) } {
                let word := calldataload(add(deals.offset, shl(5, i)))
                let r := and(shr(160, word), 0xffffffff)
                let p := and(shr(128, word), 0xffffffff)
                if iszero(and(lt(r, accountCount), lt(p, accountCount))) {
                    badIndex := add(i, 1)
                    break
                }
                let amount := and(word, mask128)
                let fee := div(mul(amount, bps), 10000)
                let slotR := add(paid, shl(5, add(r, 1)))
                mstore(slotR, add(mload(slotR), amount))
                let slotP := add(received, shl(5, add(p, 1)))
                mstore(slotP, add(mload(slotP), sub(amount, fee)))
                fees := add(fees, fee)
                volume := add(volume, amount)
                mstore(add(preimage, 0x20), shr(192, word))
                mstore(add(preimage, 0x40), shr(96, calldataload(add(accounts.offset, mul(r, 20)))))
                mstore(add(preimage, 0x60), shr(96, calldataload(add(accounts.offset, mul(p, 20)))))
                mstore(add(preimage, 0x80), amount)
                mstore(add(nodes, shl(5, add(i, 1))), keccak256(preimage, 0xa0))
            }
        }
        if (badIndex != 0) revert BadAccountIndex(badIndex - 1);
    }

    /// The root over the batch's account leaves, in the order of `accounts`.
    function _accountRoot(
        uint64 batchId,
        bytes calldata accounts,
        uint256[] memory paid,
        uint256[] memory received
    ) private pure returns (bytes32) {
        uint256 accountCount = paid.length;
        bytes32[] memory leaves = new bytes32[](accountCount);
        assembly ("memory-safe") {
            let preimage := mload(0x40)
            mstore(preimage, batchId)
            for { let j := 0 } lt(j, accountCount) { j := add(j, 1) } {
                let at := shl(5, add(j, 1))
                mstore(add(preimage, 0x20), shr(96, calldataload(add(accounts.offset, mul(j, 20)))))
                mstore(add(preimage, 0x40), mload(add(paid, at)))
                mstore(add(preimage, 0x60), mload(add(received, at)))
                mstore(add(leaves, at), keccak256(preimage, 0x80))
            }
        }
        return _root(leaves);
    }

    /// account leaf = keccak256(abi.encode(uint64 batchId, address account, uint256 paid,
    /// uint256 received)): 128 bytes, so never mistaken for a deal leaf (160) or a node (64).
    function _accountLeaf(uint64 batchId, address account, uint256 paid, uint256 received)
        private
        pure
        returns (bytes32 leaf)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, batchId)
            mstore(add(ptr, 0x20), account)
            mstore(add(ptr, 0x40), paid)
            mstore(add(ptr, 0x60), received)
            leaf := keccak256(ptr, 0x80)
        }
    }

    /// keccak256(min(a, b) ‖ max(a, b)), the tree's parent rule, for proofs. `_root` repeats
    /// these lines inside its own assembly loop on purpose: calling this per node from Solidity
    /// costs about 630 gas more per deal on a generated market (measured, issue 12).
    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32 parent) {
        assembly ("memory-safe") {
            if gt(a, b) {
                let t := a
                a := b
                b := t
            }
            mstore(0x00, a)
            mstore(0x20, b)
            parent := keccak256(0x00, 0x40)
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
