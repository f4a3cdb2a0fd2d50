//! `vnt-net`: Hubble's open network, on rust-libp2p.
//!
//! Validators agree among themselves over consensus's own authenticated channels; everyone
//! else (full nodes, late joiners, restarting validators catching up) meets here: transactions
//! travel by gossip, peers find each other through Kademlia, and finalized blocks are served
//! by height range to whoever is behind.
