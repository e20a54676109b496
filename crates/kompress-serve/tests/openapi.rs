//! deploy/openapi.yaml is valid YAML and documents every route the service registers
//! (read from src/server.rs, so a new route without documentation fails here).

use yaml_rust2::{Yaml, YamlLoader};

/// `(path, method)` of every `.route("PATH", web::METHOD()…)` in src/server.rs.
fn served_routes() -> Vec<(String, String)> {
    let src = include_str!("../src/server.rs");
    src.match_indices("route(\"")
        .map(|(at, m)| {
            let rest = &src[at + m.len()..];
            let path = &rest[..rest.find('"').expect("closing quote")];
            let after = &rest[path.len()..];
            let method = after
                .split_once("web::")
                .and_then(|(_, r)| r.split_once("()"))
                .map(|(m, _)| m.to_string())
                .expect("a web::METHOD() after the path");
            (path.to_string(), method)
        })
        .collect()
}

#[test]
fn openapi_file_parses_and_documents_every_served_route() {
    let text = include_str!("../../../deploy/openapi.yaml");
    let docs = YamlLoader::load_from_str(text).expect("deploy/openapi.yaml is valid YAML");
    let doc = &docs[0];
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "an OpenAPI 3 document"
    );
    let routes = served_routes();
    assert!(routes.len() >= 9, "routes read from server.rs: {routes:?}");
    for (path, method) in &routes {
        let op = &doc["paths"][path.as_str()][method.as_str()];
        assert!(
            !op.is_badvalue(),
            "{method} {path} is served but not documented"
        );
        assert!(
            matches!(op["responses"], Yaml::Hash(_)),
            "{method} {path} documents no responses"
        );
    }
}
