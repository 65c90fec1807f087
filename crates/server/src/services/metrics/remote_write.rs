//! Prometheus remote-write 1.0 as it arrives: a snappy-compressed (block
//! format) protobuf `prometheus.WriteRequest`. The messages are declared with
//! prost's derive from the fields of `prompb/types.proto` and
//! `prompb/remote.proto` OnePortal reads; fields it does not read
//! (metadata, exemplars, histograms) are skipped by the decoder.

use axum::http::HeaderMap;
use prost::Message;

use crate::http::ApiError;

/// The largest compressed body accepted (Prometheus sends ~100 KiB at most by default).
pub const MAX_BODY_BYTES: usize = 8 << 20;
/// The largest body once uncompressed: snappy's header says it before anything is inflated.
pub const MAX_DECODED_BYTES: usize = 64 << 20;

#[derive(Clone, PartialEq, Message)]
pub struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

#[derive(Clone, PartialEq, Message)]
pub struct TimeSeries {
    /// Sorted by name, `__name__` among them, as the protocol requires.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Label {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Unix milliseconds.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

impl TimeSeries {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.value.as_str())
    }
}

/// Reads a remote-write request, refusing what is not version 1 with a reason
/// the sender's operator can act on.
pub fn decode(headers: &HeaderMap, body: &[u8]) -> Result<WriteRequest, ApiError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let content_type = header("content-type");
    if content_type.contains("io.prometheus.write.v2") {
        return Err(ApiError::UnsupportedMediaType {
            detail: "this endpoint takes remote-write 1.0: set `protobuf_message: prometheus.WriteRequest` (the default) in the sender's remote_write".into(),
        });
    }
    if !content_type.is_empty() && !content_type.starts_with("application/x-protobuf") {
        return Err(ApiError::UnsupportedMediaType {
            detail: format!(
                "the body is '{content_type}'; remote-write sends application/x-protobuf"
            ),
        });
    }
    let encoding = header("content-encoding");
    if !encoding.is_empty() && encoding != "snappy" {
        return Err(ApiError::UnsupportedMediaType {
            detail: format!(
                "the body is compressed as '{encoding}'; remote-write 1.0 uses snappy (block format)"
            ),
        });
    }
    let not_snappy = |e: snap::Error| {
        ApiError::bad_request(
            "invalid_remote_write",
            format!("the body is not snappy-compressed (block format) remote-write: {e}"),
        )
    };
    let length = snap::raw::decompress_len(body).map_err(not_snappy)?;
    if length > MAX_DECODED_BYTES {
        return Err(ApiError::bad_request(
            "remote_write_too_large",
            format!(
                "the request holds {length} bytes once uncompressed; send at most {MAX_DECODED_BYTES} per request (lower queue_config.max_samples_per_send)"
            ),
        ));
    }
    let decoded = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(not_snappy)?;
    WriteRequest::decode(decoded.as_slice()).map_err(|e| {
        ApiError::bad_request(
            "invalid_remote_write",
            format!("the body is not a protobuf prometheus.WriteRequest: {e}"),
        )
    })
}

/// Encodes a request as a sender does, for tests and the benchmark.
pub fn encode(request: &WriteRequest) -> Vec<u8> {
    snap::raw::Encoder::new()
        .compress_vec(&request.encode_to_vec())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, service: &str, samples: &[(i64, f64)]) -> TimeSeries {
        TimeSeries {
            labels: vec![
                Label {
                    name: "__name__".into(),
                    value: name.into(),
                },
                Label {
                    name: "service_id".into(),
                    value: service.into(),
                },
            ],
            samples: samples
                .iter()
                .map(|(timestamp, value)| Sample {
                    value: *value,
                    timestamp: *timestamp,
                })
                .collect(),
        }
    }

    #[test]
    fn a_request_survives_the_round_trip_through_snappy_and_protobuf() {
        let request = WriteRequest {
            timeseries: vec![series(
                "ifHCInOctets",
                "SVC-000001",
                &[(1_000, 1.5), (2_000, 3.0)],
            )],
        };
        let decoded = decode(&HeaderMap::new(), &encode(&request)).unwrap();
        assert_eq!(decoded, request);
        assert_eq!(
            decoded.timeseries[0].label("service_id"),
            Some("SVC-000001")
        );
    }

    #[test]
    fn what_is_not_remote_write_1_is_refused_with_what_to_change() {
        let refused = |headers: &[(&'static str, &'static str)], body: &[u8]| {
            let mut map = HeaderMap::new();
            for (name, value) in headers {
                map.insert(*name, value.parse().unwrap());
            }
            decode(&map, body).unwrap_err().to_string()
        };
        let good = encode(&WriteRequest::default());
        assert!(refused(&[], b"plain text").contains("snappy"));
        assert!(
            refused(
                &[],
                &snap::raw::Encoder::new()
                    .compress_vec(b"\xff\xff\xff")
                    .unwrap()
            )
            .contains("protobuf")
        );
        assert!(refused(&[("content-encoding", "gzip")], &good).contains("snappy"));
        assert!(
            refused(
                &[(
                    "content-type",
                    "application/x-protobuf;proto=io.prometheus.write.v2.Request"
                )],
                &good
            )
            .contains("1.0")
        );
        // A header claiming more than the limit is refused before anything is inflated.
        let mut bomb = vec![0x80, 0x80, 0x80, 0x40];
        bomb.extend_from_slice(&[0; 8]);
        assert!(refused(&[], &bomb).contains("uncompressed"));
    }
}
