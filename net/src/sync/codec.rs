//! The sync protocol's stream codec for libp2p's request-response: reads at most a bounded
//! number of bytes, then decodes them strictly (see [`super::wire`]).
//!
//! A malformed request is handed to the network loop as `Err(WireError)` rather than failing
//! the stream: request-response drops inbound read failures silently, and the loop needs to
//! see them to ban the sender. A malformed response fails the stream with
//! `io::ErrorKind::InvalidData`, which request-response does report.

use std::io;

use async_trait::async_trait;
use libp2p::{
    StreamProtocol,
    futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
};

use super::wire::{
    MAX_REQUEST_BYTES, Request, Response, WireError, decode_request, decode_response,
};

/// An inbound request as read: decoded, or why it could not be.
pub type Inbound = Result<Request, WireError>;

#[derive(Clone)]
pub struct SyncCodec {
    max_response_bytes: usize,
}

impl SyncCodec {
    pub fn new(max_response_bytes: usize) -> Self {
        Self { max_response_bytes }
    }
}

/// Reads the rest of the stream, or `TooLong` once it holds more than `limit` bytes.
async fn read_bounded<T>(io: &mut T, limit: usize) -> io::Result<Result<Vec<u8>, WireError>>
where
    T: AsyncRead + Unpin + Send,
{
    let mut bytes = Vec::new();
    io.take(limit as u64 + 1).read_to_end(&mut bytes).await?;
    if bytes.len() > limit {
        return Ok(Err(WireError::TooLong { limit }));
    }
    Ok(Ok(bytes))
}

#[async_trait]
impl libp2p::request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = Inbound;
    type Response = Response;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Inbound>
    where
        T: AsyncRead + Unpin + Send,
    {
        let bytes = read_bounded(io, MAX_REQUEST_BYTES).await?;
        Ok(bytes.and_then(|bytes| decode_request(&bytes)))
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_bounded(io, self.max_response_bytes)
            .await?
            .and_then(|bytes| decode_response(&bytes))
            .map_err(|error| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("malformed sync response: {error}"),
                )
            })
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Inbound,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let request = request.map_err(|error| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a request: {error}"),
            )
        })?;
        io.write_all(&request.encode()).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: Response,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&response.encode()).await
    }
}
