//! The `aws-chunked` content encoding SDKs use for streaming uploads
//! (`x-amz-content-sha256: STREAMING-…`): `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n`
//! chunks, a zero-size last chunk, then optional trailer lines (checksums) and an empty line.
//! Signatures are not checked (see the module above); trailers are dropped.
//!
//! Decoded as it arrives ([`Decoded`] wraps the request body): payload bytes pass through as
//! the slices of the frames that carried them, and only a chunk's header line is ever
//! buffered (up to [`MAX_LINE`]), so an upload of any size costs a few frames of memory.
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>)

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

/// The longest chunk header or trailer line accepted (a size, a 64-hex-digit signature and
/// their names fit many times over).
const MAX_LINE: usize = 4096;

/// Why a body is not valid `aws-chunked`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(super) enum Error {
    #[error("aws-chunked body: a chunk header is not `<hex size>[;…]`")]
    BadHeader,
    #[error("aws-chunked body: a line is longer than {MAX_LINE} bytes")]
    LongLine,
    #[error("aws-chunked body: a chunk's data is not followed by CRLF")]
    MissingCrlf,
    #[error("aws-chunked body: the body ended inside a chunk")]
    Truncated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk's header line.
    Header,
    /// This many payload bytes of the current chunk are still to come.
    Data(u64),
    /// This many bytes of the CRLF after a chunk's data have been seen.
    DataEnd(u8),
    /// After the last chunk: trailer lines, up to an empty one.
    Trailer,
    Done,
}

/// The decoder's state between frames.
#[derive(Debug)]
pub(super) struct Decoder {
    state: State,
    line: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder {
            state: State::Header,
            line: Vec::new(),
        }
    }
}

impl Decoder {
    /// Feeds the next bytes of the body; payload bytes are pushed to `out`.
    pub(super) fn feed(
        &mut self,
        mut input: Bytes,
        out: &mut VecDeque<Bytes>,
    ) -> Result<(), Error> {
        while !input.is_empty() {
            match self.state {
                State::Header | State::Trailer => {
                    let Some(line) = self.take_line(&mut input)? else {
                        return Ok(());
                    };
                    self.state = match self.state {
                        State::Header => {
                            let text = std::str::from_utf8(&line).map_err(|_| Error::BadHeader)?;
                            let size = text.split(';').next().unwrap_or("").trim();
                            let size =
                                u64::from_str_radix(size, 16).map_err(|_| Error::BadHeader)?;
                            if size == 0 {
                                State::Trailer
                            } else {
                                State::Data(size)
                            }
                        }
                        _ if line.is_empty() => State::Done,
                        _ => State::Trailer,
                    };
                }
                State::Data(left) => {
                    let n = (input.len() as u64).min(left) as usize;
                    out.push_back(input.split_to(n));
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd(0)
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd(seen) => {
                    let expected = b"\r\n"[seen as usize];
                    if input[0] != expected {
                        return Err(Error::MissingCrlf);
                    }
                    let _ = input.split_to(1);
                    self.state = if seen == 1 {
                        State::Header
                    } else {
                        State::DataEnd(1)
                    };
                }
                // Anything after the terminating empty line is ignored, as S3 does.
                State::Done => return Ok(()),
            }
        }
        Ok(())
    }

    /// The end of the body: it must not stop inside a chunk. Trailers may be cut short
    /// (some clients end with `0\r\n` alone).
    pub(super) fn finish(&self) -> Result<(), Error> {
        match self.state {
            State::Trailer | State::Done => Ok(()),
            State::Header | State::Data(_) | State::DataEnd(_) => Err(Error::Truncated),
        }
    }

    /// A whole line (without its CRLF) once one is complete; the partial line is kept.
    fn take_line(&mut self, input: &mut Bytes) -> Result<Option<Vec<u8>>, Error> {
        let newline = input.iter().position(|&b| b == b'\n');
        let end = newline.map_or(input.len(), |i| i + 1);
        if self.line.len() + end > MAX_LINE {
            return Err(Error::LongLine);
        }
        self.line.extend_from_slice(&input.split_to(end));
        if newline.is_none() {
            return Ok(None);
        }
        let mut line = std::mem::take(&mut self.line);
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(Some(line))
    }
}

/// A request body decoded from `aws-chunked` as it is read.
pub(super) struct Decoded {
    inner: Incoming,
    decoder: Decoder,
    ready: VecDeque<Bytes>,
    /// The decoded bytes still to come, when the client said how many
    /// (`x-amz-decoded-content-length`).
    remaining: Option<u64>,
    ended: bool,
}

impl Decoded {
    pub(super) fn new(inner: Incoming, length: Option<u64>) -> Decoded {
        Decoded {
            inner,
            decoder: Decoder::default(),
            ready: VecDeque::new(),
            remaining: length,
            ended: false,
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Body for Decoded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            if let Some(bytes) = this.ready.pop_front() {
                if let Some(left) = &mut this.remaining {
                    *left = left.saturating_sub(bytes.len() as u64);
                }
                return Poll::Ready(Some(Ok(Frame::data(bytes))));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(frame))) => {
                    // HTTP trailers (not the chunked encoding's own) carry nothing we keep.
                    if let Ok(data) = frame.into_data() {
                        if let Err(e) = this.decoder.feed(data, &mut this.ready) {
                            this.ended = true;
                            return Poll::Ready(Some(Err(e.into())));
                        }
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.ended = true;
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Ready(None) => {
                    this.ended = true;
                    if let Err(e) = this.decoder.finish() {
                        return Poll::Ready(Some(Err(e.into())));
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.remaining {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `body` fed in pieces of `step` bytes.
    fn decode(body: &[u8], step: usize) -> Result<Vec<u8>, Error> {
        let mut decoder = Decoder::default();
        let mut out = VecDeque::new();
        for piece in body.chunks(step.max(1)) {
            decoder.feed(Bytes::copy_from_slice(piece), &mut out)?;
        }
        decoder.finish()?;
        Ok(out.into_iter().flat_map(|b| b.to_vec()).collect())
    }

    #[test]
    fn signed_and_unsigned_chunks_decode_to_the_payload_however_they_are_split() {
        let signed = b"5;chunk-signature=ab12\r\nhello\r\n6;chunk-signature=cd\r\n world\r\n0;chunk-signature=ef\r\n\r\n";
        let trailer = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n";
        for step in [1, 2, 3, 7, 1000] {
            assert_eq!(decode(signed, step).unwrap(), b"hello world", "{step}");
            assert_eq!(decode(trailer, step).unwrap(), b"abc", "{step}");
        }
        assert_eq!(decode(b"not chunked\r\n", 4), Err(Error::BadHeader));
        assert_eq!(decode(b"not chunked", 4), Err(Error::Truncated));
        assert_eq!(decode(b"5\r\nab", 4), Err(Error::Truncated));
        assert_eq!(decode(b"2\r\nabX\r\n", 4), Err(Error::MissingCrlf));
        assert_eq!(decode(&[b'1'; MAX_LINE + 1], 100), Err(Error::LongLine));
    }
}
