//! What an attachment may be, for the API and the portal alike: one of the
//! allowed types, with content whose leading bytes (or, for text, whose
//! encoding) are that type's, under a file name that shows what it is.

use crate::http::{ApiError, FieldError};

/// Types people attach to support cases: documents, images, captures, logs, archives.
pub const MEDIA_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/plain",
    "text/csv",
    "application/json",
    "application/zip",
    "message/rfc822",
    "application/vnd.tcpdump.pcap",
    DOCX,
    XLSX,
];

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// How content shows it is of a type, and what the type is called in words.
struct Rule {
    name: &'static str,
    matches: fn(&[u8]) -> bool,
}

fn rule(media_type: &str) -> Option<Rule> {
    fn named(name: &'static str, matches: fn(&[u8]) -> bool) -> Option<Rule> {
        Some(Rule { name, matches })
    }
    match media_type {
        "application/pdf" => named("PDF document", |c| c.starts_with(b"%PDF-")),
        "image/png" => named("PNG image", |c| c.starts_with(b"\x89PNG\r\n\x1a\n")),
        "image/jpeg" => named("JPEG image", |c| c.starts_with(&[0xFF, 0xD8, 0xFF])),
        "image/gif" => named("GIF image", |c| {
            c.starts_with(b"GIF87a") || c.starts_with(b"GIF89a")
        }),
        "text/plain" => named("text file (UTF-8)", is_text),
        "text/csv" => named("CSV file (UTF-8)", is_text),
        "application/json" => named("JSON document", |c| {
            is_text(c)
                && serde_json::from_slice::<serde::de::IgnoredAny>(
                    c.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(c),
                )
                .is_ok()
        }),
        "application/zip" => named("ZIP archive", is_zip),
        "message/rfc822" => named("e-mail message", is_email),
        // pcap in either byte order, micro- or nanosecond stamps, and pcapng (Wireshark's default).
        "application/vnd.tcpdump.pcap" => named("packet capture", |c| {
            [
                [0xD4, 0xC3, 0xB2, 0xA1],
                [0xA1, 0xB2, 0xC3, 0xD4],
                [0x4D, 0x3C, 0xB2, 0xA1],
                [0xA1, 0xB2, 0x3C, 0x4D],
                [0x0A, 0x0D, 0x0D, 0x0A],
            ]
            .iter()
            .any(|magic| c.starts_with(magic))
        }),
        DOCX => named("Word document", |c| is_office(c, b"word/")),
        XLSX => named("Excel workbook", |c| is_office(c, b"xl/")),
        _ => None,
    }
}

/// UTF-8 without NUL: what a log, a CSV or a note is, and what a binary is not.
fn is_text(content: &[u8]) -> bool {
    !content.contains(&0) && std::str::from_utf8(content).is_ok()
}

fn is_zip(content: &[u8]) -> bool {
    content.starts_with(b"PK\x03\x04") || content.starts_with(b"PK\x05\x06")
}

/// Office Open XML is a ZIP with `[Content_Types].xml` and its parts under `word/` or `xl/`.
fn is_office(content: &[u8], part_folder: &[u8]) -> bool {
    is_zip(content) && contains(content, b"[Content_Types].xml") && contains(content, part_folder)
}

/// An RFC 5322 message starts with a header field: a name of printable characters, then `:`.
fn is_email(content: &[u8]) -> bool {
    let name_length = content
        .iter()
        .take_while(|b| matches!(b, 33..=57 | 59..=126))
        .count();
    name_length > 0 && content.get(name_length) == Some(&b':') && !content.contains(&0)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Whether `media_type` may be attached at all.
pub fn is_allowed(media_type: &str) -> bool {
    MEDIA_TYPES.contains(&media_type)
}

/// Refuses content that is not what its type says (HTML sent as `image/png`), with 415.
pub fn check_content(media_type: &str, content: &[u8]) -> Result<(), ApiError> {
    let Some(rule) = rule(media_type).filter(|_| is_allowed(media_type)) else {
        return Err(ApiError::UnsupportedMediaType {
            detail: format!(
                "files of type '{media_type}' cannot be attached; allowed types are {}",
                MEDIA_TYPES.join(", ")
            ),
        });
    };
    if (rule.matches)(content) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType {
            detail: format!(
                "the file's content is not a {}, which its type {media_type} says it is; upload it with its real type",
                rule.name
            ),
        })
    }
}

/// Characters that reorder or hide text (`invoice\u{202E}txt.exe` shows as
/// `invoiceexe.txt`): the bidirectional controls, and the C0/C1 controls.
fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Refuses a file name that would show as something it is not, naming the character (422).
pub fn check_file_name(name: &str) -> Result<(), ApiError> {
    match name.chars().find(|c| is_deceptive(*c)) {
        None => Ok(()),
        Some(c) => Err(ApiError::validation(vec![FieldError::new(
            "file",
            "invalid_file_name",
            format!(
                "the file name contains the control character U+{:04X}, which hides or reorders what the name shows; rename the file",
                u32::from(c)
            ),
        )])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowed_type_has_a_content_rule() {
        for media_type in MEDIA_TYPES {
            assert!(rule(media_type).is_some(), "{media_type}");
        }
    }

    #[test]
    fn html_is_not_an_image_and_binary_is_not_text() {
        let html = b"<html><script>alert(1)</script></html>";
        for media_type in ["image/png", "image/jpeg", "image/gif", "application/pdf"] {
            assert!(check_content(media_type, html).is_err(), "{media_type}");
        }
        assert!(check_content("text/plain", html).is_ok(), "HTML is text");
        assert!(check_content("text/plain", b"MZ\x90\x00\x03").is_err());
        assert!(check_content("text/csv", &[0xFF, 0xFE, b'a']).is_err());
        assert!(check_content("application/json", b"{\"a\": 1}").is_ok());
        assert!(check_content("application/json", b"\xEF\xBB\xBF[1]").is_ok());
        assert!(check_content("application/json", b"{not json").is_err());
        assert!(check_content("message/rfc822", b"From: a@example.net\r\n\r\nhi").is_ok());
        assert!(check_content("message/rfc822", b"<html>").is_err());
    }

    #[test]
    fn office_files_are_zips_with_their_parts() {
        let docx = b"PK\x03\x04....[Content_Types].xml....word/document.xml";
        let xlsx = b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml";
        assert!(check_content(DOCX, docx).is_ok());
        assert!(check_content(DOCX, xlsx).is_err());
        assert!(check_content(XLSX, xlsx).is_ok());
        assert!(check_content(XLSX, b"PK\x03\x04 plain zip").is_err());
        assert!(check_content("application/zip", docx).is_ok());
    }

    #[test]
    fn bidirectional_and_control_characters_are_refused_in_names() {
        for name in [
            "invoice\u{202E}txt.exe",
            "a\u{2066}b.pdf",
            "a\u{200F}.pdf",
            "a\u{061C}.pdf",
            "line\nbreak.txt",
            "nul\0.txt",
            "c1\u{0085}.txt",
        ] {
            assert!(check_file_name(name).is_err(), "{name:?}");
        }
        for name in [
            "trace route.pdf",
            "Übersicht (v2).xlsx",
            "日本語.txt",
            "😀.png",
        ] {
            assert!(check_file_name(name).is_ok(), "{name:?}");
        }
    }
}
