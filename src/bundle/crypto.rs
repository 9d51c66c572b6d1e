//! Encrypted bundles: AES-256-GCM in the STREAM construction (online authenticated encryption in
//! fixed-size segments, each with a counter and a last-segment flag in its nonce), so a bundle of
//! any size is written and read in constant memory, and any flipped, removed, reordered or
//! appended byte, and any truncation, fails authentication.
//!
//! File layout (`privctl-enc/1`), all integers little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 12 | magic `privctl-enc1` |
//! | 1 | key source: 0 = raw 32-byte key, 1 = argon2id passphrase |
//! | 12 | argon2id m_cost (KiB), t_cost, p_cost (zeros for a raw key) |
//! | 16 | salt (zeros for a raw key) |
//! | 7 | STREAM nonce prefix (random per file) |
//! | 4 | plaintext bytes per segment |
//!
//! then segments of `segment + 16` bytes (the last one shorter, possibly only its 16-byte tag).
//! The whole header is the associated data of every segment, so it cannot be altered either.

use std::io::{self, Read, Write};

use aead_stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::{Aes256Gcm, KeyInit as _};
use anyhow::{Context as _, Result, bail};

use crate::error::Failure;

const MAGIC: &[u8; 12] = b"privctl-enc1";
const HEADER_LEN: usize = 12 + 1 + 12 + 16 + 7 + 4;
const TAG_LEN: usize = 16;
/// Plaintext bytes per segment.
pub const SEGMENT: usize = 64 * 1024;

/// argon2id cost: 64 MiB, 3 passes, 1 lane (OWASP's recommendation for interactive use).
const ARGON2: (u32, u32, u32) = (64 * 1024, 3, 1);

/// Where the key comes from.
#[derive(Clone)]
pub enum KeyMaterial {
    /// 32 bytes (a key file holding raw bytes, base64 or hex).
    Raw([u8; 32]),
    /// A passphrase, stretched with argon2id.
    Passphrase(Vec<u8>),
}

impl KeyMaterial {
    /// Reads a key file: exactly 32 raw bytes, or 32 bytes as base64 or hex text.
    pub fn from_key_file(path: &std::path::Path) -> Result<Self> {
        use base64::Engine as _;
        let bytes =
            std::fs::read(path).with_context(|| format!("--key-file {}", path.display()))?;
        if let Ok(raw) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(Self::Raw(raw));
        }
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        // Hex digits are valid base64 too: take whichever reading gives 32 bytes.
        let decoded = [
            hex::decode(text).ok(),
            base64::engine::general_purpose::STANDARD.decode(text).ok(),
        ]
        .into_iter()
        .flatten()
        .find(|d| d.len() == 32);
        match decoded {
            Some(d) => Ok(Self::Raw(d.try_into().expect("length checked"))),
            None => Err(Failure::usage(format!(
                "--key-file {}: not a 32-byte key (give 32 raw bytes, or 32 bytes as base64 or hex)",
                path.display()
            ))
            .into()),
        }
    }

    /// Reads a passphrase from the environment variable named by `--passphrase-env`.
    #[allow(clippy::disallowed_methods)] // the variable a flag names, read where it is named
    pub fn from_env(var: &str) -> Result<Self> {
        let value = std::env::var_os(var).ok_or_else(|| {
            Failure::usage(format!("--passphrase-env {var}: the variable is not set"))
        })?;
        let bytes = value.into_encoded_bytes();
        if bytes.len() < 12 {
            return Err(Failure::usage(format!(
                "--passphrase-env {var}: the passphrase is shorter than 12 characters"
            ))
            .into());
        }
        Ok(Self::Passphrase(bytes))
    }

    fn derive(&self, cost: (u32, u32, u32), salt: &[u8]) -> Result<[u8; 32]> {
        match self {
            KeyMaterial::Raw(key) => Ok(*key),
            KeyMaterial::Passphrase(passphrase) => {
                let params = argon2::Params::new(cost.0, cost.1, cost.2, Some(32))
                    .map_err(|e| anyhow::anyhow!("argon2 parameters in the header: {e}"))?;
                let argon = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    params,
                );
                let mut key = [0u8; 32];
                argon
                    .hash_password_into(passphrase, salt, &mut key)
                    .map_err(|e| anyhow::anyhow!("deriving the key from the passphrase: {e}"))?;
                Ok(key)
            }
        }
    }
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

/// Encrypts everything written to it; [`EncryptingWriter::finish`] writes the last segment.
pub struct EncryptingWriter<W: Write> {
    inner: W,
    encryptor: Option<EncryptorBE32<Aes256Gcm>>,
    header: Vec<u8>,
    buffer: Vec<u8>,
}

impl<W: Write> EncryptingWriter<W> {
    pub fn new(mut inner: W, key: &KeyMaterial) -> Result<Self> {
        let (kind, cost, salt) = match key {
            KeyMaterial::Raw(_) => (0u8, (0, 0, 0), [0u8; 16]),
            KeyMaterial::Passphrase(_) => (1u8, ARGON2, random::<16>()?),
        };
        let nonce_prefix = random::<7>()?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.push(kind);
        for n in [cost.0, cost.1, cost.2] {
            header.extend_from_slice(&n.to_le_bytes());
        }
        header.extend_from_slice(&salt);
        header.extend_from_slice(&nonce_prefix);
        header.extend_from_slice(&(SEGMENT as u32).to_le_bytes());
        let derived = key.derive(cost, &salt)?;
        let cipher = Aes256Gcm::new(&derived.into());
        inner.write_all(&header)?;
        Ok(Self {
            inner,
            encryptor: Some(EncryptorBE32::from_aead(cipher, &nonce_prefix.into())),
            header,
            buffer: Vec::with_capacity(SEGMENT + TAG_LEN),
        })
    }

    /// Encrypts and writes the last segment; returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        let encryptor = self.encryptor.take().expect("finish runs once");
        encryptor
            .encrypt_last_in_place(&self.header, &mut self.buffer)
            .map_err(|_| anyhow::anyhow!("encrypting the last segment"))?;
        self.inner.write_all(&self.buffer)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for EncryptingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // A full segment is sealed only once more data arrives, so the last segment is never
        // sealed as an inner one.
        if self.buffer.len() == SEGMENT {
            let encryptor = self.encryptor.as_mut().expect("not finished");
            encryptor
                .encrypt_next_in_place(&self.header, &mut self.buffer)
                .map_err(|_| io::Error::other("encryption failed"))?;
            self.inner.write_all(&self.buffer)?;
            self.buffer.clear();
        }
        let n = (SEGMENT - self.buffer.len()).min(data.len());
        self.buffer.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts a whole stream from `input` into `output`; fails on any tampering or truncation.
/// The caller writes `output` to a temporary file and keeps it only when this returns `Ok`.
pub fn decrypt(mut input: impl Read, mut output: impl Write, key: &KeyMaterial) -> Result<u64> {
    let corrupt = || {
        Failure::failed(
            "the bundle is corrupt, truncated or was altered, or the key or passphrase is wrong; no plaintext was written",
        )
    };
    let mut header = [0u8; HEADER_LEN];
    input.read_exact(&mut header).map_err(|_| corrupt())?;
    if &header[..12] != MAGIC {
        return Err(Failure::failed("not a privctl encrypted bundle (bad magic bytes)").into());
    }
    let kind = header[12];
    let word =
        |i: usize| u32::from_le_bytes(header[13 + 4 * i..17 + 4 * i].try_into().expect("4 bytes"));
    let cost = (word(0), word(1), word(2));
    let salt = &header[25..41];
    let nonce_prefix: [u8; 7] = header[41..48].try_into().expect("7 bytes");
    let segment = u32::from_le_bytes(header[48..52].try_into().expect("4 bytes")) as usize;
    if segment == 0 || segment > 16 * 1024 * 1024 {
        return Err(corrupt().into());
    }
    let derived = match (kind, key) {
        (0, KeyMaterial::Raw(_)) | (1, KeyMaterial::Passphrase(_)) => key.derive(cost, salt)?,
        (0, _) => bail!(Failure::usage(
            "this bundle was encrypted with a key file: use --key-file"
        )),
        (1, _) => bail!(Failure::usage(
            "this bundle was encrypted with a passphrase: use --passphrase-env"
        )),
        _ => return Err(corrupt().into()),
    };
    let mut decryptor = DecryptorBE32::<Aes256Gcm>::from_aead(
        Aes256Gcm::new(&derived.into()),
        &nonce_prefix.into(),
    );
    let chunk = segment + TAG_LEN;
    let mut current = read_chunk(&mut input, chunk)?;
    let mut written = 0u64;
    loop {
        let next = if current.len() == chunk {
            read_chunk(&mut input, chunk)?
        } else {
            Vec::new()
        };
        if next.is_empty() {
            decryptor
                .decrypt_last_in_place(&header, &mut current)
                .map_err(|_| corrupt())?;
            output.write_all(&current)?;
            written += current.len() as u64;
            return Ok(written);
        }
        decryptor
            .decrypt_next_in_place(&header, &mut current)
            .map_err(|_| corrupt())?;
        output.write_all(&current)?;
        written += current.len() as u64;
        current = next;
    }
}

fn read_chunk(input: &mut impl Read, size: usize) -> Result<Vec<u8>> {
    let mut buffer = Vec::with_capacity(size);
    input.take(size as u64).read_to_end(&mut buffer)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encrypt(plain: &[u8], key: &KeyMaterial) -> Vec<u8> {
        let mut writer = EncryptingWriter::new(Vec::new(), key).unwrap();
        for piece in plain.chunks(1000) {
            writer.write_all(piece).unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn round_trips_any_length_and_refuses_every_tamper() {
        let key = KeyMaterial::Raw([7; 32]);
        for len in [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let sealed = encrypt(&plain, &key);
            let mut out = Vec::new();
            decrypt(sealed.as_slice(), &mut out, &key).unwrap();
            assert_eq!(out, plain, "length {len}");
        }
        let plain = vec![42u8; 2 * SEGMENT + 100];
        let sealed = encrypt(&plain, &key);
        let fails = |bytes: &[u8]| decrypt(bytes, Vec::new(), &key).is_err();
        for at in [0, 20, HEADER_LEN - 1, HEADER_LEN + 5, sealed.len() - 1] {
            let mut flipped = sealed.clone();
            flipped[at] ^= 1;
            assert!(fails(&flipped), "flip at {at}");
        }
        let segment = SEGMENT + TAG_LEN;
        assert!(
            fails(&sealed[..sealed.len() - 1]),
            "truncated inside the last segment"
        );
        assert!(
            fails(&sealed[..HEADER_LEN + segment]),
            "truncated at a segment boundary"
        );
        let mut swapped = sealed[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&sealed[HEADER_LEN + segment..HEADER_LEN + 2 * segment]);
        swapped.extend_from_slice(&sealed[HEADER_LEN..HEADER_LEN + segment]);
        swapped.extend_from_slice(&sealed[HEADER_LEN + 2 * segment..]);
        assert!(fails(&swapped), "reordered segments");
        let mut appended = sealed.clone();
        appended.extend_from_slice(&[0; 20]);
        assert!(fails(&appended), "appended bytes");
        assert!(
            decrypt(sealed.as_slice(), Vec::new(), &KeyMaterial::Raw([8; 32])).is_err(),
            "wrong key"
        );
    }

    #[test]
    fn passphrases_are_stretched_with_a_random_salt() {
        let key = KeyMaterial::Passphrase(b"correct horse battery staple".to_vec());
        let a = encrypt(b"hello", &key);
        let b = encrypt(b"hello", &key);
        assert_ne!(
            a[25..48],
            b[25..48],
            "salt and nonce prefix differ per file"
        );
        let mut out = Vec::new();
        decrypt(a.as_slice(), &mut out, &key).unwrap();
        assert_eq!(out, b"hello");
        let wrong = KeyMaterial::Passphrase(b"incorrect horse battery".to_vec());
        assert!(decrypt(a.as_slice(), Vec::new(), &wrong).is_err());
    }
}
