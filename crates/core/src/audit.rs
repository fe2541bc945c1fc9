//! The audit chain's rules: how an event is encoded and hashed, and how a chain
//! is checked. Storage lives in `propusk-store`; this module only computes.
//!
//! Each event's hash covers its sequence number, its content and the previous
//! event's hash, so editing, deleting or reordering any row changes a hash that a
//! later row (or the chain head) has already committed to.

use sha2::{Digest, Sha256};
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

/// SHA-256 output. The genesis event's predecessor is all zeros.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    pub const GENESIS: Hash = Hash([0; 32]);

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Option<Hash> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Hash(out))
    }

    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(bytes).ok().map(Hash)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Who did it. Stored as text (`citizen:0194…`), so a reader needs no join to
/// know the kind of actor, and deleted accounts leave a pseudonymous id behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    pub fn system() -> Actor {
        Actor("system".into())
    }
    pub fn cli(login: &str) -> Actor {
        Actor(format!("cli:{login}"))
    }
    pub fn citizen(id: Uuid) -> Actor {
        Actor(format!("citizen:{id}"))
    }
    pub fn operator(id: Uuid) -> Actor {
        Actor(format!("operator:{id}"))
    }
    pub fn client(client_id: &str) -> Actor {
        Actor(format!("client:{client_id}"))
    }
    /// For values read back from storage; they were made by the constructors above.
    pub fn from_stored(s: String) -> Actor {
        Actor(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a caller records. `action` is a stable dotted name (`account.created`).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor: Actor,
    pub action: &'static str,
    pub subject: Option<String>,
    pub details: serde_json::Value,
}

impl NewEvent {
    pub fn new(actor: Actor, action: &'static str) -> NewEvent {
        NewEvent {
            actor,
            action,
            subject: None,
            details: serde_json::Value::Null,
        }
    }
    pub fn subject(mut self, subject: impl Into<String>) -> NewEvent {
        self.subject = Some(subject.into());
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> NewEvent {
        self.details = details;
        self
    }
}

/// An event as it sits in the chain. `details` is the canonical JSON text exactly
/// as stored: the hash is over that text, so no database may reformat it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub id: Uuid,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub details: String,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl Event {
    /// Seals a new event onto a chain whose last link is `prev` (seq, hash).
    pub fn seal(prev: (i64, Hash), id: Uuid, at: OffsetDateTime, new: &NewEvent) -> Event {
        let seq = prev.0 + 1;
        let at = crate::time::truncate_micros(at);
        let details = canonical_json(&new.details);
        let mut event = Event {
            seq,
            id,
            at,
            actor: new.actor.as_str().to_owned(),
            action: new.action.to_owned(),
            subject: new.subject.clone(),
            details,
            prev_hash: prev.1,
            hash: Hash::GENESIS,
        };
        event.hash = event.compute_hash();
        event
    }

    /// SHA-256 over a length-prefixed encoding of every field: no separator can be
    /// forged inside a field, and a new format gets a new version tag.
    pub fn compute_hash(&self) -> Hash {
        let mut h = Sha256::new();
        h.update(b"propusk-audit-v1");
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(&self.seq.to_be_bytes());
        field(self.id.as_bytes());
        field(crate::time::canonical(self.at).as_bytes());
        field(self.actor.as_bytes());
        field(self.action.as_bytes());
        match &self.subject {
            Some(s) => {
                field(b"1");
                field(s.as_bytes());
            }
            None => field(b"0"),
        }
        field(self.details.as_bytes());
        field(&self.prev_hash.0);
        Hash(h.finalize().into())
    }
}

/// JSON with object keys sorted at every depth and no insignificant whitespace,
/// so equal values always give equal text whatever map type built them.
pub fn canonical_json(v: &serde_json::Value) -> String {
    fn write(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String((*k).clone()).to_string());
                    out.push(':');
                    if let Some(val) = map.get(*k) {
                        write(val, out);
                    }
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// Why a chain is not intact, at the first event where it shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error("event #{found} follows #{expected_prev}: events are missing or reordered")]
    Gap { expected_prev: i64, found: i64 },
    #[error("event #{seq} ({id}) does not point at the hash of the event before it")]
    Link { seq: i64, id: Uuid },
    #[error("event #{seq} ({id}) was altered: its content no longer matches its hash")]
    Content { seq: i64, id: Uuid },
    #[error(
        "the chain ends at event #{last_seq} but its head records #{head_seq}: events after #{last_seq} were removed or the head was altered"
    )]
    Head { last_seq: i64, head_seq: i64 },
}

impl Break {
    pub fn seq(&self) -> i64 {
        match self {
            Break::Gap { found, .. } => *found,
            Break::Link { seq, .. } | Break::Content { seq, .. } => *seq,
            Break::Head { last_seq, .. } => *last_seq + 1,
        }
    }
}

/// Walks a chain one event at a time, so storage can stream millions of rows
/// through it without holding them.
#[derive(Debug, Clone)]
pub struct Verifier {
    last: (i64, Hash),
    count: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            last: (0, Hash::GENESIS),
            count: 0,
        }
    }
}

impl Verifier {
    pub fn new() -> Verifier {
        Verifier::default()
    }

    pub fn check(&mut self, e: &Event) -> Result<(), Break> {
        if e.seq != self.last.0 + 1 {
            return Err(Break::Gap {
                expected_prev: self.last.0,
                found: e.seq,
            });
        }
        if e.prev_hash != self.last.1 {
            return Err(Break::Link {
                seq: e.seq,
                id: e.id,
            });
        }
        if e.compute_hash() != e.hash {
            return Err(Break::Content {
                seq: e.seq,
                id: e.id,
            });
        }
        self.last = (e.seq, e.hash);
        self.count += 1;
        Ok(())
    }

    /// Compares the end of the walk with the head the store keeps, which catches
    /// a truncated tail that no remaining link could reveal.
    pub fn finish(self, head: (i64, Hash)) -> Result<u64, Break> {
        if head != self.last {
            return Err(Break::Head {
                last_seq: self.last.0,
                head_seq: head.0,
            });
        }
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn chain(n: usize) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        let mut prev = (0, Hash::GENESIS);
        for i in 0..n {
            let new = NewEvent::new(Actor::system(), "test.event")
                .subject(format!("s{i}"))
                .details(json!({"b": i, "a": [1, {"z": 1, "y": 2}]}));
            let id = Uuid::from_u128(i as u128 + 1);
            let e = Event::seal(prev, id, datetime!(2026-11-23 12:00 UTC), &new);
            prev = (e.seq, e.hash);
            out.push(e);
        }
        out
    }

    fn verify(events: &[Event], head: (i64, Hash)) -> Result<u64, Break> {
        let mut v = Verifier::new();
        for e in events {
            v.check(e)?;
        }
        v.finish(head)
    }

    fn head(events: &[Event]) -> (i64, Hash) {
        events
            .last()
            .map_or((0, Hash::GENESIS), |e| (e.seq, e.hash))
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, head(&c)), Ok(5));
        assert_eq!(verify(&[], (0, Hash::GENESIS)), Ok(0));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"d": [3, {"f": 1, "e": 2}], "c": "х"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"х","d":[3,{"e":2,"f":1}]},"b":1}"#
        );
    }

    #[test]
    fn every_edit_is_detected() {
        let c = chain(4);
        let h = head(&c);
        type Edit = fn(&mut Event);
        let edits: [Edit; 6] = [
            |e| e.actor.push('x'),
            |e| e.action = "other".into(),
            |e| e.subject = None,
            |e| e.details = "{}".into(),
            |e| e.at += time::Duration::microseconds(1),
            |e| e.id = Uuid::nil(),
        ];
        for (i, edit) in edits.iter().enumerate() {
            for target in 0..c.len() {
                let mut bad = c.clone();
                edit(&mut bad[target]);
                let err = verify(&bad, h).unwrap_err();
                assert_eq!(err.seq(), target as i64 + 1, "edit {i} on {target}: {err}");
            }
        }
    }

    #[test]
    fn rehashed_edit_breaks_the_next_link() {
        let c = chain(3);
        let mut bad = c.clone();
        bad[1].details = r#"{"forged":true}"#.into();
        bad[1].hash = bad[1].compute_hash();
        assert_eq!(
            verify(&bad, head(&c)),
            Err(Break::Link {
                seq: 3,
                id: c[2].id
            })
        );
    }

    #[test]
    fn deletion_reordering_and_truncation_are_detected() {
        let c = chain(4);
        let h = head(&c);
        let mut deleted = c.clone();
        deleted.remove(1);
        assert!(matches!(
            verify(&deleted, h),
            Err(Break::Gap {
                expected_prev: 1,
                found: 3
            })
        ));

        let mut swapped = c.clone();
        swapped.swap(1, 2);
        assert!(verify(&swapped, h).is_err());

        // Swapping contents but keeping the seq column in order.
        let mut renumbered = c.clone();
        renumbered.swap(1, 2);
        renumbered[1].seq = 2;
        renumbered[2].seq = 3;
        assert!(matches!(
            verify(&renumbered, h),
            Err(Break::Link { seq: 2, .. })
        ));

        let truncated = &c[..3];
        assert_eq!(
            verify(truncated, h),
            Err(Break::Head {
                last_seq: 3,
                head_seq: 4
            })
        );
    }
}
