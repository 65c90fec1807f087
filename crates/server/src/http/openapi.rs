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

/// A response that flattens a request type (`#[serde(flatten)]`, e.g. an RFO's
/// content beside its version) comes out of utoipa as `allOf` with that type,
/// whose `additionalProperties: false` (it refuses unknown fields as a body)
/// then forbids the response's own fields: no instance could match. Such an
/// `allOf` is merged here into one object with every part's properties.
pub struct MergeClosedAllOf;

impl Modify for MergeClosedAllOf {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let named = components.schemas.clone();
        let object_of = |part: &RefOr<Schema>| -> Option<utoipa::openapi::schema::Object> {
            let schema = match part {
                RefOr::T(schema) => schema,
                RefOr::Ref(r) => match named.get(r.ref_location.rsplit('/').next()?)? {
                    RefOr::T(schema) => schema,
                    RefOr::Ref(_) => return None,
                },
            };
            match schema {
                Schema::Object(object) => Some(object.clone()),
                _ => None,
            }
        };
        for schema in components.schemas.values_mut() {
            let RefOr::T(Schema::AllOf(all)) = schema else {
                continue;
            };
            let Some(parts) = all.items.iter().map(object_of).collect::<Option<Vec<_>>>() else {
                continue;
            };
            if !parts.iter().any(|p| p.additional_properties.is_some()) {
                continue;
            }
            let mut merged = utoipa::openapi::schema::Object::new();
            merged.schema_type =
                utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::Type::Object);
            merged.description = all.description.clone();
            for part in parts {
                merged.properties.extend(part.properties);
                merged.required.extend(part.required);
            }
            *schema = RefOr::T(Schema::Object(merged));
        }
    }
}

/// Serves an OpenAPI document, serialized once: kept as a JSON tree and
/// cloned for every request it cost about a megabyte resident and a deep copy
/// per fetch.
pub fn document_route<S: Clone + Send + Sync + 'static>(
    openapi: &utoipa::openapi::OpenApi,
) -> axum::routing::MethodRouter<S> {
    let document =
        axum::body::Bytes::from(serde_json::to_vec(openapi).expect("OpenAPI serializes"));
    axum::routing::get(move || async move {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            document.clone(),
        )
    })
}
