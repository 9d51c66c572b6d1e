//! Signed notes, their keys, transparency-log checkpoints and witness cosignatures, as the C2SP
//! specifications and the Go reference (`golang.org/x/mod/sumdb/note`) define them, so that
//! any of their verifiers can check what privctl signs (issue 17).
//!
//! - [`SignerKey`] and [`VerifierKey`]: the Go note key formats, `PRIVATE+KEY+<name>+<id>+<key>`
//!   and `<name>+<id>+<key>` (c2sp.org/signed-note, "Verifier keys"); type `0x01` keys sign
//!   notes (Ed25519, "Ed25519 signatures"), type `0x04` keys cosign checkpoints
//!   (c2sp.org/tlog-cosignature, "Format").
//! - [`sign_note`] and [`open_note`]: a text and its signature lines (c2sp.org/signed-note,
//!   "Format" and "Signatures"), with the limits of Go's `note.Open`.
//! - [`Checkpoint`]: the body of a tree head (c2sp.org/tlog-checkpoint, "Note text").
//! - [`cosign_note`] and, inside [`open_note`], the cosignature check
//!   (c2sp.org/tlog-cosignature, "Ed25519 signed message").
//!
//! Pure functions: no database, no files, no clock (a cosignature's time is an argument).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use super::merkle::Hash;

/// At most this many signature lines in a note: Go's `note.Open` rejects a note with more
/// (the signed-note spec requires accepting at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// A note longer than this is refused before it is parsed (privctl's own bound: its
/// checkpoints are a few hundred bytes, and 100 signatures of a post-quantum size fit).
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// The header line of an Ed25519 cosignature's signed message (c2sp.org/tlog-cosignature).
const COSIGNATURE_HEADER: &str = "cosignature/v1\n";

/// What went wrong. No message ever contains a private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteError {
    /// A key string that is not a key of the expected form.
    MalformedKey(&'static str),
    /// A key's id is not the hash of its name and public key.
    KeyIdMismatch,
    /// A key of a signature type privctl does not implement (only 0x01 and 0x04).
    UnsupportedKeyType(u8),
    /// A key name that is empty or holds a Unicode space or `+`.
    InvalidName(String),
    /// Two different known keys with the same name and id.
    AmbiguousKey { name: String, id: u32 },
    /// A note that breaks the signed-note format (the reason says which rule).
    Malformed(&'static str),
    /// A known key whose signature on the note does not verify.
    InvalidSignature { name: String, id: u32 },
    /// No signature on the note is from a known key.
    NoKnownSignature,
    /// A key used for the wrong job (a note key to cosign, or a witness key to sign a note).
    WrongKeyType { name: String },
    /// A checkpoint body that breaks c2sp.org/tlog-checkpoint.
    MalformedCheckpoint(&'static str),
    /// A cosignature time above 2^63 - 1.
    TimestampOutOfRange,
    /// The system's random number generator failed.
    Random(String),
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteError::MalformedKey(why) => write!(f, "malformed key: {why}"),
            NoteError::KeyIdMismatch => {
                write!(f, "the key id does not match the key's name and public key")
            }
            NoteError::UnsupportedKeyType(t) => write!(
                f,
                "unsupported key type 0x{t:02x} (0x01 Ed25519 notes and 0x04 Ed25519 cosignatures are)"
            ),
            NoteError::InvalidName(name) => write!(
                f,
                "invalid key name {name:?}: it must be non-empty, without spaces or `+`"
            ),
            NoteError::AmbiguousKey { name, id } => write!(f, "ambiguous key {name}+{id:08x}"),
            NoteError::Malformed(why) => write!(f, "malformed note: {why}"),
            NoteError::InvalidSignature { name, id } => {
                write!(f, "invalid signature for key {name}+{id:08x}")
            }
            NoteError::NoKnownSignature => write!(f, "note has no verifiable signatures"),
            NoteError::WrongKeyType { name } => write!(
                f,
                "key {name} is of the wrong type for this (note keys sign notes, witness keys cosign checkpoints)"
            ),
            NoteError::MalformedCheckpoint(why) => write!(f, "malformed checkpoint: {why}"),
            NoteError::TimestampOutOfRange => write!(f, "cosignature time above 2^63 - 1"),
            NoteError::Random(e) => write!(f, "no randomness for a new key: {e}"),
        }
    }
}

impl std::error::Error for NoteError {}

/// A signature type (c2sp.org/signed-note, "Signature types"), the first byte of an encoded key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `0x01`: Ed25519 over the note text (c2sp.org/signed-note, "Ed25519 signatures").
    Ed25519,
    /// `0x04`: timestamped Ed25519 checkpoint cosignatures (c2sp.org/tlog-cosignature).
    Cosignature,
}

impl KeyType {
    /// The identifier byte.
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::Cosignature => 0x04,
        }
    }

    fn from_byte(byte: u8) -> Result<Self, NoteError> {
        match byte {
            0x01 => Ok(KeyType::Ed25519),
            0x04 => Ok(KeyType::Cosignature),
            other => Err(NoteError::UnsupportedKeyType(other)),
        }
    }

    /// Length of the signature after the 4-byte key id.
    fn signature_len(self) -> usize {
        match self {
            KeyType::Ed25519 => 64,
            KeyType::Cosignature => 8 + 64,
        }
    }
}

/// Whether `name` is a valid key name (c2sp.org/signed-note, "Format"; Go's `isValidName`):
/// non-empty, no Unicode space (White_Space, as Go's `unicode.IsSpace`), no `+`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(NoteError::InvalidName(name.to_owned()))
    }
}

/// The key id: the first 4 bytes, big-endian, of `SHA-256(name || 0x0A || type || public key)`
/// (c2sp.org/signed-note, "Signatures"; the same for cosigners, c2sp.org/tlog-cosignature,
/// "Format").
pub fn key_id(name: &str, kind: KeyType, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([kind.byte()]);
    h.update(public);
    let sum = h.finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

/// Overwrites a buffer that held secret bytes (best effort without `unsafe`: `black_box` keeps
/// the writes from being optimised away).
fn wipe(bytes: &mut [u8]) {
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(bytes);
}

/// Parses `hex(key id)`: exactly 8 lower-case hex digits (c2sp.org/signed-note, "Conventions").
fn parse_id(hex: &str) -> Result<u32, NoteError> {
    if hex.len() != 8 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(NoteError::MalformedKey(
            "the key id must be 8 lower-case hex digits",
        ));
    }
    u32::from_str_radix(hex, 16).map_err(|_| NoteError::MalformedKey("bad key id"))
}

/// Splits `base64(type || 32 bytes)` into the type and the bytes.
fn parse_key_material(b64: &str) -> Result<(KeyType, [u8; 32]), NoteError> {
    let mut raw = B64
        .decode(b64)
        .map_err(|_| NoteError::MalformedKey("the key is not standard base64"))?;
    let result = match raw.split_first() {
        None => Err(NoteError::MalformedKey("empty key")),
        Some((&t, rest)) => KeyType::from_byte(t).and_then(|kind| {
            let bytes: [u8; 32] = rest
                .try_into()
                .map_err(|_| NoteError::MalformedKey("an Ed25519 key is 32 bytes"))?;
            Ok((kind, bytes))
        }),
    };
    wipe(&mut raw);
    result
}

/// A public key that verifies notes or cosignatures, in the vkey format
/// `<name>+<hex id>+<base64(type || public key)>` (c2sp.org/signed-note, "Verifier keys";
/// witnesses: type 0x04, c2sp.org/tlog-cosignature, "Format"). [`fmt::Display`] writes it back.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    kind: KeyType,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Parses and validates a vkey: name rules, type, length, and that the id is the hash of
    /// the name and key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::MalformedKey(
                "a verifier key is <name>+<id>+<base64 key>",
            ));
        };
        check_name(name)?;
        let id = parse_id(id)?;
        let (kind, public) = parse_key_material(b64)?;
        if key_id(name, kind, &public) != id {
            return Err(NoteError::KeyIdMismatch);
        }
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| NoteError::MalformedKey("not an Ed25519 public key"))?;
        Ok(Self {
            name: name.to_owned(),
            id,
            kind,
            key,
        })
    }

    /// A vkey for an Ed25519 public key under `name`.
    pub fn from_public(name: &str, kind: KeyType, key: VerifyingKey) -> Result<Self, NoteError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            id: key_id(name, kind, key.as_bytes()),
            kind,
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn kind(&self) -> KeyType {
        self.kind
    }

    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Checks one signature (the bytes after the key id) on a note's text. For a cosigner key
    /// the bytes are the timestamp and the signature, the message the cosigned form of `text`;
    /// returns the timestamp then.
    fn verify(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, ()> {
        if sig.len() != self.kind.signature_len() {
            return Err(());
        }
        match self.kind {
            KeyType::Ed25519 => {
                let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| ())?;
                self.key
                    .verify_strict(text.as_bytes(), &sig)
                    .map(|()| None)
                    .map_err(|_| ())
            }
            KeyType::Cosignature => {
                let (time, sig) = sig.split_at(8);
                let time = u64::from_be_bytes(time.try_into().expect("8 bytes"));
                if time > i64::MAX as u64 {
                    return Err(());
                }
                let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| ())?;
                self.key
                    .verify_strict(&cosignature_message(text, time), &sig)
                    .map(|()| Some(time))
                    .map_err(|_| ())
            }
        }
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = Vec::with_capacity(33);
        material.push(self.kind.byte());
        material.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(material))
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

/// A private key, in Go's signer key format `PRIVATE+KEY+<name>+<hex id>+<base64(type ||
/// 32-byte Ed25519 seed)>` (golang.org/x/mod/sumdb/note `NewSigner`; the id is that of the
/// public key). Go defines the format for type 0x01; privctl writes witness keys (type 0x04)
/// the same way.
///
/// The seed is zeroized when the key is dropped (ed25519-dalek's `zeroize`), [`fmt::Debug`]
/// shows only the public half, and there is no `Display`: [`SignerKey::expose_secret`] is the
/// one way to get the private text.
pub struct SignerKey {
    name: String,
    id: u32,
    kind: KeyType,
    key: SigningKey,
}

impl SignerKey {
    /// Parses and validates a signer key. Errors never quote the input.
    pub fn parse(skey: &str) -> Result<Self, NoteError> {
        let mut parts = skey.splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(id), Some(b64)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(NoteError::MalformedKey(
                "a signer key is PRIVATE+KEY+<name>+<id>+<base64 key>",
            ));
        };
        check_name(name)?;
        let id = parse_id(id)?;
        let (kind, mut seed) = parse_key_material(b64)?;
        let key = SigningKey::from_bytes(&seed);
        wipe(&mut seed);
        if key_id(name, kind, key.verifying_key().as_bytes()) != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            kind,
            key,
        })
    }

    /// A new random key (the operating system's generator, `getrandom`).
    pub fn generate(name: &str, kind: KeyType) -> Result<Self, NoteError> {
        check_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| NoteError::Random(e.to_string()))?;
        let key = SigningKey::from_bytes(&seed);
        wipe(&mut seed);
        Self::from_signing_key(name, kind, key)
    }

    /// A signer key for an existing Ed25519 key.
    pub fn from_signing_key(name: &str, kind: KeyType, key: SigningKey) -> Result<Self, NoteError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            id: key_id(name, kind, key.verifying_key().as_bytes()),
            kind,
            key,
        })
    }

    /// The private key's text, for writing to a key file once. Handle with care.
    pub fn expose_secret(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(self.kind.byte());
        material.extend_from_slice(self.key.as_bytes());
        let text = format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(&material)
        );
        wipe(&mut material);
        text
    }

    /// The matching public key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            kind: self.kind,
            key: self.key.verifying_key(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn kind(&self) -> KeyType {
        self.kind
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerKey({}, private key redacted)", self.verifier())
    }
}

/// One signature line of a note, `— <name> base64(id || signature)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLine {
    pub name: String,
    pub id: u32,
    /// The base64 text as it appeared.
    pub base64: String,
}

impl fmt::Display for SignatureLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "— {} {}", self.name, self.base64)
    }
}

/// A key that verified its signature on an opened note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub name: String,
    pub id: u32,
    pub kind: KeyType,
    /// A cosignature's time (POSIX seconds); `None` for a note signature.
    pub timestamp: Option<u64>,
}

/// A note whose signatures were checked by [`open_note`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedNote {
    /// The text, with its final newline.
    pub text: String,
    /// The known keys whose signatures verified, once each, in the note's order.
    pub verified: Vec<Verified>,
    /// Signatures from unknown keys (ignored, as the spec requires), identical lines once.
    pub unverified: Vec<SignatureLine>,
}

impl OpenedNote {
    /// Whether `key` verified its signature on the note.
    pub fn verified_by(&self, key: &VerifierKey) -> Option<&Verified> {
        self.verified
            .iter()
            .find(|v| v.name == key.name && v.id == key.id && v.kind == key.kind)
    }
}

/// A parsed signature line and its decoded bytes.
struct RawSignature<'a> {
    line: &'a str,
    name: &'a str,
    id: u32,
    base64: &'a str,
    bytes: Vec<u8>,
}

/// Splits a note into its text and signature lines, by the format rules only
/// (c2sp.org/signed-note, "Format"; Go's `note.Open`).
fn split_note(msg: &[u8]) -> Result<(&str, Vec<RawSignature<'_>>), NoteError> {
    if msg.len() > MAX_NOTE_BYTES {
        return Err(NoteError::Malformed("longer than 1 MiB"));
    }
    let msg = std::str::from_utf8(msg).map_err(|_| NoteError::Malformed("not UTF-8"))?;
    if msg.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed(
            "an ASCII control character other than newline",
        ));
    }
    let split = msg
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
    let (text, sigs) = (&msg[..split + 1], &msg[split + 2..]);
    if sigs.is_empty() {
        return Err(NoteError::Malformed("no signature lines"));
    }
    if !sigs.ends_with('\n') {
        return Err(NoteError::Malformed(
            "the last signature line does not end in a newline",
        ));
    }
    let mut out = Vec::new();
    for line in sigs[..sigs.len() - 1].split('\n') {
        if out.len() == MAX_SIGNATURES {
            return Err(NoteError::Malformed("more than 100 signatures"));
        }
        let rest = line.strip_prefix("— ").ok_or(NoteError::Malformed(
            "a signature line must start with `— `",
        ))?;
        let (name, base64) = rest.split_once(' ').ok_or(NoteError::Malformed(
            "a signature line is `— <name> <base64>`",
        ))?;
        if !is_valid_name(name) {
            return Err(NoteError::Malformed("invalid key name in a signature line"));
        }
        let bytes = B64
            .decode(base64)
            .map_err(|_| NoteError::Malformed("a signature is not standard base64"))?;
        if bytes.len() < 5 {
            return Err(NoteError::Malformed("a signature shorter than 5 bytes"));
        }
        let id = u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes"));
        out.push(RawSignature {
            line,
            name,
            id,
            base64,
            bytes,
        });
    }
    Ok((text, out))
}

/// Refuses two different keys with the same name and id (an identical key twice is fine).
fn check_unambiguous(known: &[VerifierKey]) -> Result<(), NoteError> {
    for (i, a) in known.iter().enumerate() {
        if known[..i]
            .iter()
            .any(|b| a.name == b.name && a.id == b.id && a != b)
        {
            return Err(NoteError::AmbiguousKey {
                name: a.name.clone(),
                id: a.id,
            });
        }
    }
    Ok(())
}

/// Opens a signed note with the `known` keys (c2sp.org/signed-note, "Signatures"): every
/// signature whose name and id match a known key is verified (note keys over the text,
/// cosigner keys over the cosignature message), and one that fails rejects the whole note;
/// signatures from unknown keys are ignored; at least one must verify. Limits as Go's
/// `note.Open`: at most [`MAX_SIGNATURES`] lines, valid UTF-8 with no control character but
/// newline.
pub fn open_note(msg: &[u8], known: &[VerifierKey]) -> Result<OpenedNote, NoteError> {
    check_unambiguous(known)?;
    let (text, sigs) = split_note(msg)?;
    let mut note = OpenedNote {
        text: text.to_owned(),
        verified: Vec::new(),
        unverified: Vec::new(),
    };
    for sig in sigs {
        let Some(key) = known.iter().find(|k| k.name == sig.name && k.id == sig.id) else {
            let line = SignatureLine {
                name: sig.name.to_owned(),
                id: sig.id,
                base64: sig.base64.to_owned(),
            };
            if !note.unverified.iter().any(|u| u == &line) {
                note.unverified.push(line);
            }
            continue;
        };
        let timestamp =
            key.verify(text, &sig.bytes[4..])
                .map_err(|()| NoteError::InvalidSignature {
                    name: key.name.clone(),
                    id: key.id,
                })?;
        if note.verified_by(key).is_none() {
            note.verified.push(Verified {
                name: key.name.clone(),
                id: key.id,
                kind: key.kind,
                timestamp,
            });
        }
    }
    if note.verified.is_empty() {
        return Err(NoteError::NoKnownSignature);
    }
    Ok(note)
}

/// Checks a note's text before signing: ends in a newline, no control character but newline.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("the text must end in a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed(
            "an ASCII control character other than newline",
        ));
    }
    Ok(())
}

fn signature_line(key: &SignerKey, sig: &[u8]) -> String {
    let mut raw = Vec::with_capacity(4 + sig.len());
    raw.extend_from_slice(&key.id.to_be_bytes());
    raw.extend_from_slice(sig);
    format!("— {} {}\n", key.name, B64.encode(raw))
}

/// Signs `text` (which must end in a newline) with each of `signers` (type 0x01 keys), in
/// order: the text, a blank line, one signature line per key (c2sp.org/signed-note, "Format";
/// Go's `note.Sign`). Several keys make rotation possible: a verifier holding either accepts.
pub fn sign_note(text: &str, signers: &[&SignerKey]) -> Result<String, NoteError> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(NoteError::Malformed("no signer"));
    }
    let mut out = format!("{text}\n");
    for key in signers {
        if key.kind != KeyType::Ed25519 {
            return Err(NoteError::WrongKeyType {
                name: key.name.clone(),
            });
        }
        let sig = key.key.sign(text.as_bytes());
        out.push_str(&signature_line(key, &sig.to_bytes()));
    }
    Ok(out)
}

/// The message an Ed25519 cosignature signs: `cosignature/v1\ntime <t>\n` and the checkpoint's
/// note text (c2sp.org/tlog-cosignature, "Ed25519 signed message").
pub fn cosignature_message(text: &str, timestamp: u64) -> Vec<u8> {
    format!("{COSIGNATURE_HEADER}time {timestamp}\n{text}").into_bytes()
}

/// Adds `witness`'s cosignature (a type 0x04 key) at `timestamp` (POSIX seconds) to a signed
/// checkpoint note: the signature is `id || u64 BE timestamp || Ed25519 signature`
/// (c2sp.org/tlog-cosignature, "Format"). An earlier signature line of the same key is
/// replaced, as Go's `note.Sign` does. The note's text must be a checkpoint; verifying the
/// log's signature and consistency before cosigning is the caller's job (tlog-witness).
pub fn cosign_note(note: &[u8], witness: &SignerKey, timestamp: u64) -> Result<String, NoteError> {
    if witness.kind != KeyType::Cosignature {
        return Err(NoteError::WrongKeyType {
            name: witness.name.clone(),
        });
    }
    if timestamp > i64::MAX as u64 {
        return Err(NoteError::TimestampOutOfRange);
    }
    let (text, sigs) = split_note(note)?;
    Checkpoint::parse(text)?;
    let mut sig = Vec::with_capacity(72);
    sig.extend_from_slice(&timestamp.to_be_bytes());
    sig.extend_from_slice(
        &witness
            .key
            .sign(&cosignature_message(text, timestamp))
            .to_bytes(),
    );
    let kept: Vec<&RawSignature<'_>> = sigs
        .iter()
        .filter(|s| !(s.name == witness.name && s.id == witness.id))
        .collect();
    if kept.len() >= MAX_SIGNATURES {
        return Err(NoteError::Malformed("more than 100 signatures"));
    }
    let mut out = format!("{text}\n");
    for s in kept {
        out.push_str(s.line);
        out.push('\n');
    }
    out.push_str(&signature_line(witness, &sig));
    Ok(out)
}

/// The body of a checkpoint (c2sp.org/tlog-checkpoint, "Note text"): origin, tree size, root
/// hash, optional extension lines. [`fmt::Display`] writes the note text, each line ending in
/// a newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `privctl.example.com/prod-eu`.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The RFC 6962 root of those leaves.
    pub root: Hash,
    /// Opaque non-empty lines after the root (NOT RECOMMENDED by the spec).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Parses a note text strictly: at least three non-empty lines, each ending in a newline;
    /// the size in decimal with no leading zero; the root as canonical base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::MalformedCheckpoint("must end in a newline"))?;
        if body.chars().any(|c| c < ' ' && c != '\n') {
            return Err(NoteError::MalformedCheckpoint(
                "an ASCII control character other than newline",
            ));
        }
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        let (Some(size), Some(root)) = (lines.next(), lines.next()) else {
            return Err(NoteError::MalformedCheckpoint(
                "fewer than three lines (origin, size, root)",
            ));
        };
        if origin.is_empty() {
            return Err(NoteError::MalformedCheckpoint("empty origin"));
        }
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(NoteError::MalformedCheckpoint(
                "the size is not a decimal without leading zeros",
            ));
        }
        let size = size
            .parse::<u64>()
            .map_err(|_| NoteError::MalformedCheckpoint("the size is above 2^64 - 1"))?;
        let root = decode_hash(root).ok_or(NoteError::MalformedCheckpoint(
            "the root is not base64 of 32 bytes",
        ))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(NoteError::MalformedCheckpoint("an empty extension line"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )?;
        for line in &self.extensions {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// Decodes canonical standard base64 of exactly 32 bytes.
pub(crate) fn decode_hash(text: &str) -> Option<Hash> {
    if text.len() != 44 {
        return None;
    }
    B64.decode(text).ok()?.try_into().ok()
}

/// Encodes a hash as standard base64.
pub(crate) fn encode_hash(hash: &Hash) -> String {
    B64.encode(hash)
}

#[cfg(test)]
mod tests;
