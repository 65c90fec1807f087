//! What the OpenAPI documents of API V2 and the operations API share: every
//! problem answer typed `application/problem+json`, and the answers every
//! operation can give, declared once.

use utoipa::Modify;

/// A handler declares an error as `(status = 404, body = Problem)`; every
/// answer whose body is a `Problem` is `application/problem+json` (RFC 9457),
/// said here once instead of on each of a hundred responses.
fn problems_as_problem_json(responses: &mut utoipa::openapi::Responses) {
    use utoipa::openapi::RefOr;
    for response in responses.responses.values_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let is_problem = |content: &RefOr<utoipa::openapi::Content>| matches!(content, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")));
        if let Some(content) = response.content.get("application/json")
            && is_problem(content)
        {
            let content = response
                .content
                .shift_remove("application/json")
                .expect("just found");
            response
                .content
                .insert("application/problem+json".to_owned(), content);
        }
    }
}

/// The answers every operation can give, documented once: 401, 403 and 429 on
/// operations that need a token, 503 everywhere, and 400/415/422 where there is a body.
pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                problems_as_problem_json(&mut operation.responses);
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = operation.request_body.is_some();
                let mut common = vec![(
                    "503",
                    "The database is unavailable; retry after the time in Retry-After",
                )];
                if secured {
                    common.extend([
                        ("401", "No access token, or it is invalid, expired or revoked (WWW-Authenticate says why)"),
                        ("403", "The token lacks the scope or permission this needs; the problem names it"),
                        ("429", "Too many requests from this client; retry after the time in Retry-After"),
                    ]);
                }
                if has_body {
                    common.extend([
                        (
                            "400",
                            "The body is not valid JSON (the problem gives line and column)",
                        ),
                        ("415", "The body is not of the documented content type"),
                        ("422", "A field is missing or invalid; `errors` names each"),
                    ]);
                }
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
    }
}
