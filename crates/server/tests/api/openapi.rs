//! The OpenAPI document is part of the product: every change to it is a reviewed
//! snapshot diff (`cargo insta review`), and it must describe what the router serves.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let app = spawn_app().await;
    let document: Value = app.get_public_json("/v2/openapi.json").await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    insta::assert_json_snapshot!("openapi", document);
    let operations: Value = app.get_public_json("/ops/v1/openapi.json").await;
    insta::assert_json_snapshot!("operations_openapi", operations);
}

#[tokio::test]
async fn every_operation_documents_its_errors_and_security() {
    let app = spawn_app().await;
    let document: Value = app.get_public_json("/v2/openapi.json").await;
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(
        schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"],
        "/oauth2/token"
    );
    let operations_api: Value = app.get_public_json("/ops/v1/openapi.json").await;
    assert_eq!(
        operations_api["components"]["securitySchemes"]["staffToken"]["scheme"],
        "bearer"
    );
    for (path, operations) in document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .chain(operations_api["paths"].as_object().unwrap())
    {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|code| code.starts_with('4')),
                "{method} {path} documents its errors"
            );
            assert!(
                operation["security"].is_array(),
                "{method} {path} names its security"
            );
            assert!(
                operation["summary"].is_string() || operation["description"].is_string(),
                "{method} {path} is described"
            );
        }
    }
}
