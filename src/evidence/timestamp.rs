//! RFC 3161 trusted timestamps over the tag manifest: the request (`.tsq`, DER) any
//! timestamp authority accepts, and a check that a response (`.tsr`) given later was
//! granted and stamps exactly that manifest (its message imprint). Checking the
//! authority's own signature and certificate is left to the authority's tools
//! (`openssl ts -verify`); what is checked here is that the response belongs to this bag.
//!
//! The request carries no nonce, so the same manifest always gives the same request.

/// OID 2.16.840.1.101.3.4.2.1 (SHA-256), DER content bytes.
const SHA256_OID: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

/// DER: one tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// `MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }`
fn message_imprint(digest: &[u8; 32]) -> Vec<u8> {
    let algorithm = tlv(0x30, &[tlv(0x06, SHA256_OID), tlv(0x05, &[])].concat());
    tlv(0x30, &[algorithm, tlv(0x04, digest)].concat())
}

/// `TimeStampReq { version 1, messageImprint, certReq TRUE }` over a SHA-256 digest.
pub fn request(digest: &[u8; 32]) -> Vec<u8> {
    let body = [tlv(0x02, &[1]), message_imprint(digest), tlv(0x01, &[0xff])].concat();
    tlv(0x30, &body)
}

/// The digest a request stamps, if it is a SHA-256 request.
pub fn request_digest(tsq: &[u8]) -> Option<[u8; 32]> {
    let (_, body, _) = read(tsq)?;
    let (_, _version, rest) = read(body)?;
    imprint_digest(rest)
}

/// What a valid response says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// GeneralizedTime as the authority wrote it (`20260101120000Z`).
    pub gen_time: String,
}

/// Checks a response: status granted, a token present, and its imprint is SHA-256 of the
/// manifest (`digest`). Says what is wrong otherwise.
pub fn check_response(tsr: &[u8], digest: &[u8; 32]) -> Result<Stamp, String> {
    let bad = |what: &str| format!("not a valid RFC 3161 response: {what}");
    let (_, resp, _) = read(tsr).ok_or_else(|| bad("no outer SEQUENCE"))?;
    let (_, status_info, rest) = read(resp).ok_or_else(|| bad("no status"))?;
    let (_, status, _) = read(status_info).ok_or_else(|| bad("no status value"))?;
    if !matches!(status, [0] | [1]) {
        return Err(format!(
            "the authority did not grant the timestamp (status {status:?})"
        ));
    }
    let tst_info = tst_info(rest).ok_or_else(|| bad("no TSTInfo in the token"))?;
    // TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, ... }
    let (_, body, _) = read(tst_info).ok_or_else(|| bad("TSTInfo"))?;
    let (_, _, rest) = read(body).ok_or_else(|| bad("TSTInfo version"))?;
    let (_, _, rest) = read(rest).ok_or_else(|| bad("TSTInfo policy"))?;
    let stamped = imprint_digest(rest).ok_or_else(|| bad("message imprint (SHA-256 expected)"))?;
    if &stamped != digest {
        return Err(format!(
            "the response stamps {} but the tag manifest's SHA-256 is {}",
            hex::encode(stamped),
            hex::encode(digest)
        ));
    }
    let (_, _, rest) = read(rest).ok_or_else(|| bad("message imprint"))?;
    let (_, _, rest) = read(rest).ok_or_else(|| bad("serial number"))?;
    let (tag, time, _) = read(rest).ok_or_else(|| bad("genTime"))?;
    if tag != 0x18 {
        return Err(bad("genTime is not a GeneralizedTime"));
    }
    Ok(Stamp {
        gen_time: String::from_utf8_lossy(time).into_owned(),
    })
}

/// The DER TSTInfo inside `timeStampToken` (ContentInfo → [0] SignedData →
/// encapContentInfo → [0] eContent OCTET STRING).
fn tst_info(token_and_rest: &[u8]) -> Option<&[u8]> {
    let (_, content_info, _) = read(token_and_rest)?;
    let (_, _oid, rest) = read(content_info)?;
    let (_, explicit, _) = read(rest)?; // [0]
    let (_, signed_data, _) = read(explicit)?;
    let (_, _version, rest) = read(signed_data)?;
    let (_, _digest_algorithms, rest) = read(rest)?;
    let (_, encap, _) = read(rest)?;
    let (_, _content_type, rest) = read(encap)?;
    let (_, explicit, _) = read(rest)?; // [0]
    let (tag, octets, _) = read(explicit)?;
    (tag == 0x04).then_some(octets)
}

/// Reads a MessageImprint at the start of `der` and returns its SHA-256 digest.
fn imprint_digest(der: &[u8]) -> Option<[u8; 32]> {
    let (tag, imprint, _) = read(der)?;
    if tag != 0x30 {
        return None;
    }
    let (_, algorithm, rest) = read(imprint)?;
    let (_, oid, _) = read(algorithm)?;
    if oid != SHA256_OID {
        return None;
    }
    let (tag, digest, _) = read(rest)?;
    if tag != 0x04 {
        return None;
    }
    digest.try_into().ok()
}

/// Reads one definite-length TLV: (tag, content, rest). `None` on anything malformed.
fn read(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// Builds a response the way an authority would (without its signature), for tests.
#[doc(hidden)]
pub fn fake_response(digest: &[u8; 32], status: u8, gen_time: &str) -> Vec<u8> {
    let tst_info = tlv(
        0x30,
        &[
            tlv(0x02, &[1]),
            tlv(0x06, &[0x2a, 0x03, 0x04]),
            message_imprint(digest),
            tlv(0x02, &[0x05, 0x39]),
            tlv(0x18, gen_time.as_bytes()),
        ]
        .concat(),
    );
    let encap = tlv(
        0x30,
        &[
            tlv(
                0x06,
                &[
                    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04,
                ],
            ),
            tlv(0xa0, &tlv(0x04, &tst_info)),
        ]
        .concat(),
    );
    let signed_data = tlv(
        0x30,
        &[tlv(0x02, &[3]), tlv(0x31, &[]), encap, tlv(0x31, &[])].concat(),
    );
    let token = tlv(
        0x30,
        &[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02],
            ),
            tlv(0xa0, &signed_data),
        ]
        .concat(),
    );
    tlv(0x30, &[tlv(0x30, &tlv(0x02, &[status])), token].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_openssl_shaped_der() {
        let digest = [0xab; 32];
        let tsq = request(&digest);
        // SEQUENCE { INTEGER 1, SEQUENCE { SEQUENCE { OID sha256, NULL }, OCTET STRING }, BOOLEAN TRUE }
        assert_eq!(&tsq[..5], &[0x30, 0x39, 0x02, 0x01, 0x01]);
        assert_eq!(&tsq[tsq.len() - 3..], &[0x01, 0x01, 0xff]);
        assert_eq!(request_digest(&tsq), Some(digest));
    }

    #[test]
    fn response_imprint_is_checked() {
        let digest = [0x11; 32];
        let ok = fake_response(&digest, 0, "20261127120000Z");
        assert_eq!(
            check_response(&ok, &digest).unwrap().gen_time,
            "20261127120000Z"
        );
        let err = check_response(&ok, &[0x12; 32]).unwrap_err();
        assert!(err.contains("stamps"), "{err}");
        let refused = fake_response(&digest, 2, "20261127120000Z");
        assert!(
            check_response(&refused, &digest)
                .unwrap_err()
                .contains("status")
        );
        assert!(check_response(b"junk", &digest).is_err());
        assert!(check_response(&ok[..ok.len() - 3], &digest).is_err());
    }
}
