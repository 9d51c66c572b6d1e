//! The platform's encrypted columns: AES-256-GCM values stored as base64 of
//! `nonce (12 bytes) || ciphertext || tag (16 bytes)`, the key in `keys.columns`.

use aes_gcm::aead::Aead as _;
use aes_gcm::{Aes256Gcm, KeyInit as _};
use anyhow::Result;
use base64::Engine as _;

/// Decrypts stored values of `encrypted` columns.
pub struct ColumnCipher {
    cipher: Aes256Gcm,
}

impl ColumnCipher {
    /// The cipher of `keys.columns`, when the map names one.
    pub fn from_map(map: &crate::map::DataMap) -> Result<Option<Self>> {
        use anyhow::Context as _;
        match &map.keys.columns {
            Some(source) => Ok(Some(Self::new(
                &source.load().context("loading keys.columns")?,
            )?)),
            None => Ok(None),
        }
    }

    /// `key`: 32 bytes, raw or as base64 or hex text (as `keys.columns` loads it).
    pub fn new(key: &[u8]) -> Result<Self> {
        let text = String::from_utf8_lossy(key);
        let bytes = if key.len() == 32 {
            key.to_vec()
        } else {
            // Hex digits are valid base64 too: take whichever reading gives 32 bytes.
            let text = text.trim();
            [
                hex::decode(text).ok(),
                base64::engine::general_purpose::STANDARD.decode(text).ok(),
            ]
            .into_iter()
            .flatten()
            .find(|k| k.len() == 32)
            .unwrap_or_default()
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            anyhow::anyhow!("keys.columns is not a 32-byte AES-256 key (raw, base64 or hex)")
        })?;
        Ok(Self {
            cipher: Aes256Gcm::new(&key.into()),
        })
    }

    /// Decrypts one stored value.
    pub fn decrypt(&self, stored: &str) -> Result<String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(stored.trim())
            .map_err(|_| anyhow::anyhow!("not base64"))?;
        anyhow::ensure!(bytes.len() >= 12 + 16, "too short for nonce and tag");
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().expect("12 bytes");
        let plain = self
            .cipher
            .decrypt(&nonce.into(), sealed)
            .map_err(|_| anyhow::anyhow!("authentication failed (wrong key or altered value)"))?;
        Ok(String::from_utf8(plain)?)
    }

    /// Encrypts a value in the same format (tests and fixtures).
    pub fn encrypt(&self, plain: &str, nonce: [u8; 12]) -> String {
        let sealed = self
            .cipher
            .encrypt(&nonce.into(), plain.as_bytes())
            .expect("AES-GCM encrypts");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrypts_the_platform_format_and_refuses_a_wrong_key() {
        let cipher = ColumnCipher::new(&[3u8; 32]).unwrap();
        let stored = cipher.encrypt("sk_live_1234", [9; 12]);
        assert_eq!(cipher.decrypt(&stored).unwrap(), "sk_live_1234");
        let other = ColumnCipher::new(hex::encode([4u8; 32]).as_bytes()).unwrap();
        assert!(other.decrypt(&stored).is_err());
        assert!(ColumnCipher::new(b"short").is_err());
    }
}
