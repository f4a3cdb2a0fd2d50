//! The note tree: an append-only Merkle tree of depth [`DEPTH`] over note commitments.
//!
//! Leaves are filled left to right; position `i` holds the `i`-th note ever created, and a
//! leaf never changes once written. An unfilled leaf is [`EMPTY_LEAF`]; an inner node is
//! `Poseidon[MerkleNode](left, right)`. A subtree with no filled leaf therefore hashes to a
//! value that depends only on its height: [`empty_roots`] precomputes the 33 of them, so the
//! tree stores only the nodes on the filled side (about two per note) and still answers the
//! root and any filled leaf's authentication path for a tree of 2^32 leaves.
//!
//! In the circuit, [`MerklePathVar::root`] recomputes the root from a leaf, the 32 position
//! bits (least significant first: bit `l` says whether the node at height `l` is a right
//! child) and the 32 siblings; the same bits give the position the nullifier binds.

use std::sync::OnceLock;

use ark_ff::AdditiveGroup;
use ark_r1cs_std::{
    alloc::AllocVar, boolean::Boolean, fields::fp::FpVar, select::CondSelectGadget,
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use crate::Fr;
use crate::poseidon::{Domain, hash, hash_var};

/// Height of the tree: 2^32 notes, enough for 136 years at one note per second.
pub const DEPTH: usize = 32;

/// An unfilled leaf. Zero is not a commitment anyone can open: finding a note whose Poseidon
/// commitment is zero is as hard as inverting Poseidon.
pub const EMPTY_LEAF: Fr = Fr::ZERO;

/// The tree has no room for another leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the note tree is full: all 2^{DEPTH} positions are used")]
pub struct TreeFull;

/// `Poseidon[MerkleNode](left, right)`.
pub fn node(left: Fr, right: Fr) -> Fr {
    hash(Domain::MerkleNode, &[left, right])
}

/// `empty_roots()[h]` is the root of a subtree of height `h` with no filled leaf.
pub fn empty_roots() -> &'static [Fr; DEPTH + 1] {
    static EMPTY: OnceLock<[Fr; DEPTH + 1]> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut e = [EMPTY_LEAF; DEPTH + 1];
        for h in 0..DEPTH {
            e[h + 1] = node(e[h], e[h]);
        }
        e
    })
}

/// The authentication path of one leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// The leaf's position (index from the left).
    pub position: u64,
    /// The sibling at each height, from the leaf's sibling (height 0) up.
    pub siblings: [Fr; DEPTH],
}

impl MerklePath {
    /// The root this path leads to from `leaf`.
    pub fn root(&self, leaf: Fr) -> Fr {
        let mut cur = leaf;
        for (h, sibling) in self.siblings.iter().enumerate() {
            cur = if (self.position >> h) & 1 == 0 {
                node(cur, *sibling)
            } else {
                node(*sibling, cur)
            };
        }
        cur
    }
}

/// The append-only note tree, storing only the nodes of filled subtrees.
#[derive(Clone, Debug)]
pub struct NoteTree {
    /// `levels[h][i]`: the node at height `h`, index `i`, for every subtree holding a filled
    /// leaf; `levels[DEPTH]` holds the root once a leaf exists.
    levels: Vec<Vec<Fr>>,
}

impl Default for NoteTree {
    fn default() -> Self {
        Self::new()
    }
}

impl NoteTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self {
            levels: vec![Vec::new(); DEPTH + 1],
        }
    }

    /// How many leaves are filled (the position the next append takes).
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Whether no leaf is filled.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.levels[DEPTH]
            .first()
            .copied()
            .unwrap_or(empty_roots()[DEPTH])
    }

    /// Appends `commitment` and returns its position. Costs `DEPTH` hashes: the new leaf's
    /// ancestors are recomputed, nothing else changes.
    pub fn append(&mut self, commitment: Fr) -> Result<u64, TreeFull> {
        let position = self.len();
        if position >> DEPTH != 0 {
            return Err(TreeFull);
        }
        self.levels[0].push(commitment);
        let mut index = position as usize;
        for h in 0..DEPTH {
            let parent = index / 2;
            let left = self.levels[h][parent * 2];
            let right = self.node_or_empty(h, parent * 2 + 1);
            let value = node(left, right);
            // The parent exists already exactly when the new node is a right child.
            if parent < self.levels[h + 1].len() {
                self.levels[h + 1][parent] = value;
            } else {
                self.levels[h + 1].push(value);
            }
            index = parent;
        }
        Ok(position)
    }

    /// The authentication path of the leaf at `position`, if that leaf is filled.
    pub fn path(&self, position: u64) -> Option<MerklePath> {
        if position >= self.len() {
            return None;
        }
        let siblings = std::array::from_fn(|h| {
            let index = (position >> h) as usize;
            self.node_or_empty(h, index ^ 1)
        });
        Some(MerklePath { position, siblings })
    }

    fn node_or_empty(&self, height: usize, index: usize) -> Fr {
        self.levels[height]
            .get(index)
            .copied()
            .unwrap_or(empty_roots()[height])
    }
}

/// An authentication path as circuit witnesses.
pub struct MerklePathVar {
    /// Position bits, least significant first (`DEPTH` of them).
    pub position_bits: Vec<Boolean<Fr>>,
    /// Siblings from height 0 up.
    pub siblings: Vec<FpVar<Fr>>,
}

impl MerklePathVar {
    /// Allocates `path` as witnesses: 32 boolean constraints for the position bits.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        path: &MerklePath,
    ) -> Result<Self, SynthesisError> {
        let position_bits = (0..DEPTH)
            .map(|h| Boolean::new_witness(cs.clone(), || Ok((path.position >> h) & 1 == 1)))
            .collect::<Result<_, _>>()?;
        let siblings = path
            .siblings
            .iter()
            .map(|s| FpVar::new_witness(cs.clone(), || Ok(*s)))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            position_bits,
            siblings,
        })
    }

    /// The position as a field element (a linear combination of the bits: no constraint).
    pub fn position(&self) -> Result<FpVar<Fr>, SynthesisError> {
        Boolean::le_bits_to_fp(&self.position_bits)
    }

    /// The root reached from `leaf`: per height one selection (1 constraint) and one hash.
    pub fn root(
        &self,
        cs: ConstraintSystemRef<Fr>,
        leaf: &FpVar<Fr>,
    ) -> Result<FpVar<Fr>, SynthesisError> {
        let mut cur = leaf.clone();
        for (is_right, sibling) in self.position_bits.iter().zip(&self.siblings) {
            // A right child has the sibling on its left. `right` is then linear in the rest.
            let left = FpVar::conditionally_select(is_right, sibling, &cur)?;
            let right = &cur + sibling - &left;
            cur = hash_var(cs.clone(), Domain::MerkleNode, &[left, right])?;
        }
        Ok(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use ark_std::rand::{SeedableRng, rngs::StdRng};
    use std::collections::BTreeMap;

    /// An independent reference: the root of the subtree at (`height`, `index`) computed by
    /// plain recursion over the filled leaves, pruning subtrees with none.
    fn reference_root(leaves: &BTreeMap<u64, Fr>, height: usize, index: u64) -> Fr {
        let first = index << height;
        let end = (index + 1) << height;
        if leaves.range(first..end).next().is_none() {
            return empty_roots()[height];
        }
        if height == 0 {
            return leaves[&index];
        }
        node(
            reference_root(leaves, height - 1, 2 * index),
            reference_root(leaves, height - 1, 2 * index + 1),
        )
    }

    #[test]
    fn empty_tree_root_is_the_empty_subtree_of_full_height() {
        assert_eq!(NoteTree::new().root(), empty_roots()[DEPTH]);
        assert_eq!(empty_roots()[1], node(EMPTY_LEAF, EMPTY_LEAF));
    }

    #[test]
    fn roots_and_paths_match_the_reference_after_each_append() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut tree = NoteTree::new();
        let mut leaves = BTreeMap::new();
        for i in 0..9u64 {
            let cm = Fr::rand(&mut rng);
            assert_eq!(tree.append(cm), Ok(i));
            leaves.insert(i, cm);
            assert_eq!(tree.root(), reference_root(&leaves, DEPTH, 0));
            for (&pos, &leaf) in &leaves {
                assert_eq!(tree.path(pos).unwrap().root(leaf), tree.root());
            }
        }
        assert_eq!(tree.path(9), None);
    }

    #[test]
    fn a_path_does_not_open_another_leaf_or_position() {
        let mut rng = StdRng::seed_from_u64(6);
        let mut tree = NoteTree::new();
        let a = Fr::rand(&mut rng);
        let b = Fr::rand(&mut rng);
        tree.append(a).unwrap();
        tree.append(b).unwrap();
        let path = tree.path(0).unwrap();
        assert_ne!(path.root(b), tree.root());
        let moved = MerklePath {
            position: 1,
            ..path
        };
        assert_ne!(moved.root(a), tree.root());
    }

    #[test]
    fn circuit_path_agrees_with_native_path() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut tree = NoteTree::new();
        for _ in 0..6 {
            tree.append(Fr::rand(&mut rng)).unwrap();
        }
        let leaf = tree.levels[0][5];
        let path = tree.path(5).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let path_var = MerklePathVar::new_witness(cs.clone(), &path).unwrap();
        let leaf_var = FpVar::new_witness(cs.clone(), || Ok(leaf)).unwrap();
        let root = path_var.root(cs.clone(), &leaf_var).unwrap();
        assert_eq!(root.value().unwrap(), tree.root());
        assert_eq!(
            path_var.position().unwrap().value().unwrap(),
            Fr::from(5u64)
        );
        assert!(cs.is_satisfied().unwrap());
    }
}
