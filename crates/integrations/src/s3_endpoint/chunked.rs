//! The `aws-chunked` content encoding SDKs use for streaming uploads
//! (`x-amz-content-sha256: STREAMING-…`): `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n`
//! chunks, a zero-size last chunk, then optional trailer lines (checksums) and an empty line.
//! Signatures are not checked (see the module above); trailers are dropped.

/// The payload of an `aws-chunked` body; `None` when it is not one.
pub(super) fn decode(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let header = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size_text = header.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        let chunk = rest.get(..size)?;
        out.extend_from_slice(chunk);
        rest = rest.get(size..)?.strip_prefix(b"\r\n")?;
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn signed_and_unsigned_chunks_decode_to_the_payload() {
        let signed = b"5;chunk-signature=ab12\r\nhello\r\n6;chunk-signature=cd\r\n world\r\n0;chunk-signature=ef\r\n\r\n";
        assert_eq!(decode(signed).unwrap(), b"hello world");
        let trailer = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n";
        assert_eq!(decode(trailer).unwrap(), b"abc");
        assert_eq!(decode(b"not chunked"), None);
        assert_eq!(decode(b"5\r\nab"), None);
    }
}
