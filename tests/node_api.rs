//! Every route of the node's API against its OpenAPI document: each answer's status must be one
//! the document lists for that route, and its body has the documented shape. Every 4xx a route
//! can give is provoked, and nothing refused before sequencing is journaled.

mod node_support;

use alloy_primitives::B256;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use gridbook_node::auth::{message_of, Domain};
use gridbook_node::config::{DEVNET_CHAIN_ID, DEVNET_SETTLEMENT};
use node_support::{client, fresh_dir, gridbook, urlencode, Node};
use reqwest::blocking::Response;
use serde_json::{json, Value};

/// The OpenAPI document the node serves (and ships in node/openapi.json).
fn openapi() -> Value {
    serde_json::from_str(include_str!("../node/openapi.json"))
        .expect("the OpenAPI document is JSON")
}

/// Checks `response` against the document: a listed status for `method path`, and for JSON
/// bodies the required fields of the schema it names. Returns the status and the body.
fn checked(doc: &Value, method: &str, path: &str, response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let is_json = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"));
    let text = response.text().expect("a body");
    let documented = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(
        documented.is_object(),
        "{method} {path} answered {status}, which the document does not list: {text}"
    );
    if !is_json {
        return (status, Value::String(text));
    }
    let body: Value = serde_json::from_str(&text).expect("a JSON body");
    let schema = &documented["content"]["application/json"]["schema"];
    check_schema(doc, schema, &body, &format!("{method} {path} {status}"));
    (status, body)
}

/// The parts of JSON Schema the document uses: `$ref`, `oneOf`, `required`, `properties`,
/// `items`. Says what does not fit, and where.
fn check_schema(doc: &Value, schema: &Value, value: &Value, at: &str) {
    if let Err(error) = fits(doc, schema, value, at) {
        panic!("{error}");
    }
}

fn fits(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().expect("a ref names a schema");
        return fits(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        if options.iter().any(|option| fits(doc, option, value, at).is_ok()) {
            return Ok(());
        }
        return Err(format!("{at}: {value} fits none of {schema}"));
    }
    if let Some(required) = schema["required"].as_array() {
        for field in required {
            let field = field.as_str().expect("field name");
            if value.get(field).is_none() {
                return Err(format!("{at}: `{field}` missing from {value}"));
            }
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        for (name, property) in properties {
            if let Some(inner) = object.get(name) {
                fits(doc, property, inner, &format!("{at}.{name}"))?;
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for item in array {
            fits(doc, items, item, at)?;
        }
    }
    Ok(())
}

fn key(byte: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).expect("a key")
}

fn sign(mut command: Value, key: &PrivateKeySigner) -> Value {
    let domain = Domain::new(DEVNET_CHAIN_ID, DEVNET_SETTLEMENT);
    let hash =
        domain.signing_hash(&message_of(command.as_object().expect("object")).expect("a message"));
    let signature = key.sign_hash_sync(&hash).expect("signs");
    let hex: String = signature.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    command["sig"] = json!(format!("0x{hex}"));
    command
}

fn ask(id: &str, key: &PrivateKeySigner, price: &str) -> Value {
    json!({"op":"ask","id":id,"owner":key.address().to_string(),"price":price,"qty":4,"tif":"gtc",
        "hw":{"cpu":32,"mem":256,"gpu":"H100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"},
        "from":0,"until":4_102_444_800_000u64})
}

fn bid(id: &str, key: &PrivateKeySigner, limit: &str) -> Value {
    json!({"op":"bid","id":id,"owner":key.address().to_string(),"limit":limit,"qty":2,"tif":"gtc",
        "req":{"cpu":8,"mem":32,"gpu":["H100-80GB"],"gpus":1,"gpu_mem":80,"tee":null,"regions":[]},
        "duration":3_600_000,"not_before":0,"deadline":4_102_444_800_000u64})
}

#[test]
fn every_route_answers_as_documented_and_refusals_journal_nothing() {
    let doc = openapi();
    let data = fresh_dir("api");
    let config = data.join("node.toml");
    std::fs::write(&config, "[limits]\nbatch_max = 3\nbody_bytes_max = 4096\nevents_kept = 3\n")
        .expect("config");
    let node = Node::start(&data.join("data"), &["--config", config.to_str().expect("UTF-8")]);
    let http = client();
    let url = |path: &str| format!("{}{path}", node.url);
    let post = |body: String| http.post(url("/v1/commands")).body(body).send().expect("answered");
    let (provider, requester, thief) = (key(1), key(2), key(3));

    // Accepted, traded, batched, retried.
    let (status, outcome) = checked(
        &doc,
        "post",
        "/v1/commands",
        post(sign(ask("a1", &provider, "2.80"), &provider).to_string()),
    );
    assert_eq!((status, outcome["events"][0]["type"].as_str()), (200, Some("accepted")));
    let signed_bid = sign(bid("b1", &requester, "3.00"), &requester);
    let batch = json!([
        signed_bid,
        sign(json!({"op":"cancel","id":"a1","owner":provider.address().to_string()}), &provider)
    ]);
    let (status, outcomes) = checked(&doc, "post", "/v1/commands", post(batch.to_string()));
    assert_eq!(status, 200);
    assert_eq!(outcomes[0]["events"][1]["type"], "deal");
    assert_eq!(outcomes[1]["events"][0]["type"], "cancelled");
    let (_, retried) = checked(&doc, "post", "/v1/commands", post(signed_bid.to_string()));
    assert_eq!(retried, outcomes[0], "an identical resend is answered with the original outcome");

    // Every refusal before sequencing, with its code and field.
    let refusals: Vec<(String, u16, &str, Option<&str>)> = vec![
        ("{\"op\":".to_owned(), 400, "malformed_json", None),
        ("[]".to_owned(), 400, "bad_batch", None),
        (json!([1, 2, 3, 4]).to_string(), 400, "bad_batch", None),
        (json!({"op":"tick"}).to_string(), 400, "bad_op", Some("op")),
        (
            {
                let mut c = sign(ask("a2", &provider, "2.80"), &provider);
                c["ts"] = json!(5);
                c
            }
            .to_string(),
            400,
            "bad_field",
            Some("ts"),
        ),
        (ask("a3", &provider, "2.80").to_string(), 401, "missing_signature", Some("sig")),
        (sign(ask("a4", &provider, "2.80"), &thief).to_string(), 401, "bad_signature", Some("sig")),
        (
            {
                let mut c = sign(ask("a5", &provider, "2.80"), &provider);
                c["price"] = json!("0.01");
                c
            }
            .to_string(),
            401,
            "bad_signature",
            Some("sig"),
        ),
        (
            {
                let mut c = ask("a6", &provider, "2.80");
                c["prise"] = json!("1");
                sign(c, &provider)
            }
            .to_string(),
            400,
            "unknown_field",
            Some("prise"),
        ),
        (
            sign(ask("a7", &provider, "2.8000000001"), &provider).to_string(),
            400,
            "bad_price",
            Some("price"),
        ),
        (
            json!([sign(ask("a8", &provider, "2.80"), &provider), ask("a9", &provider, "2.80")])
                .to_string(),
            401,
            "missing_signature",
            Some("[1].sig"),
        ),
        ("x".repeat(5000), 413, "body_too_large", None),
    ];
    for (body, expected_status, code, field) in refusals {
        let (status, error) = checked(&doc, "post", "/v1/commands", post(body.clone()));
        assert_eq!(
            (status, error["error"].as_str()),
            (expected_status, Some(code)),
            "{body:.80}: {error}"
        );
        if let Some(field) = field {
            assert_eq!(error["field"], field, "{body:.80}");
        }
    }

    // Reads.
    let get = |path: &str| http.get(url(path)).send().expect("answered");
    let (status, order) = checked(&doc, "get", "/v1/orders/{id}", get("/v1/orders/a1"));
    assert_eq!(
        (status, order["state"].as_str(), order["remaining"].as_u64()),
        (200, Some("cancelled"), Some(2))
    );
    assert_eq!(checked(&doc, "get", "/v1/orders/{id}", get("/v1/orders/nobody")).0, 404);
    let (status, page) = checked(&doc, "get", "/v1/events", get("/v1/events?limit=2"));
    assert_eq!(status, 410, "events_kept = 3: the oldest are gone: {page}");
    let last =
        checked(&doc, "get", "/v1/health", get("/v1/health")).1["event_seq"].as_u64().expect("seq");
    let (status, page) =
        checked(&doc, "get", "/v1/events", get(&format!("/v1/events?after={}&limit=2", last - 3)));
    assert_eq!((status, page["events"].as_array().map(Vec::len)), (200, Some(2)));
    assert_eq!(checked(&doc, "get", "/v1/events", get("/v1/events?limit=0")).0, 400);
    assert_eq!(checked(&doc, "get", "/v1/events", get("/v1/events?after=x")).0, 400);
    let (status, book) = checked(&doc, "get", "/v1/book", get("/v1/book?levels=5"));
    assert_eq!(status, 200);
    assert_eq!(book["configurations"], json!([]), "a1 was cancelled, b1 filled: nothing rests");
    assert_eq!(checked(&doc, "get", "/v1/book", get("/v1/book?levels=0")).0, 400);
    assert_eq!(checked(&doc, "get", "/v1/references", get("/v1/references")).0, 200);
    let (_, eip712) = checked(&doc, "get", "/v1/eip712", get("/v1/eip712"));
    assert_eq!(eip712["domain"]["chainId"], DEVNET_CHAIN_ID);
    let (status, served) = checked(&doc, "get", "/v1/openapi.json", get("/v1/openapi.json"));
    assert_eq!((status, served), (200, doc.clone()));
    let (status, metrics) = checked(&doc, "get", "/metrics", get("/metrics"));
    assert_eq!(status, 200);
    assert!(
        metrics
            .as_str()
            .is_some_and(|m| m.contains("gridbook_refused_total{code=\"bad_signature\"} 2")),
        "{metrics}"
    );
    let missing = get("/v1/nowhere");
    assert_eq!(missing.status().as_u16(), 404);

    // Nothing refused was journaled: the journal holds the 4 accepted commands (a1, b1, the
    // cancel, the resend) and ticks only.
    assert!(node.terminate());
    let export = gridbook(&["journal", "export", data.join("data").to_str().expect("UTF-8")]);
    let ids: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a line"))
        .filter(|c| c["op"] != "tick")
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, [json!("a1"), json!("b1"), json!("a1"), json!("b1")]);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_flood_from_one_address_is_refused_with_retry_after_and_journals_nothing() {
    let doc = openapi();
    let data = fresh_dir("rate");
    let config = data.join("node.toml");
    std::fs::write(&config, "[limits]\nip_requests_per_s = 1\nip_burst = 2\n").expect("config");
    let node = Node::start(&data.join("data"), &["--config", config.to_str().expect("UTF-8")]);
    let http = client();
    let provider = key(1);
    let mut statuses = Vec::new();
    for n in 0..4 {
        let body = sign(ask(&format!("f{n}"), &provider, "2.80"), &provider).to_string();
        let response =
            http.post(format!("{}/v1/commands", node.url)).body(body).send().expect("answered");
        let retry_after =
            response.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_owned());
        let (status, body) = checked(&doc, "post", "/v1/commands", response);
        if status == 429 {
            assert_eq!(body["error"], "rate_limited");
            assert_eq!(retry_after.as_deref(), Some("1"));
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [200, 200, 429, 429]);
    assert!(node.terminate());
    let export = gridbook(&["journal", "export", data.join("data").to_str().expect("UTF-8")]);
    assert_eq!(export.lines().filter(|l| l.contains("\"op\":\"ask\"")).count(), 2);
    let _ = std::fs::remove_dir_all(&data);
}

/// A batch whose cost is above the owner's whole burst can never be served, however long the
/// client waits: it is refused as too large (naming the limit), not told to retry.
#[test]
fn a_batch_over_the_owner_burst_is_refused_as_too_large_not_rate_limited() {
    let doc = openapi();
    let data = fresh_dir("burst");
    let config = data.join("node.toml");
    std::fs::write(&config, "[limits]\nowner_commands_per_s = 1\nowner_burst = 2\n")
        .expect("config");
    let node = Node::start(&data.join("data"), &["--config", config.to_str().expect("UTF-8")]);
    let http = client();
    let provider = key(1);
    let batch: Vec<Value> =
        (0..3).map(|n| sign(ask(&format!("o{n}"), &provider, "2.80"), &provider)).collect();
    let response = http
        .post(format!("{}/v1/commands", node.url))
        .body(Value::from(batch).to_string())
        .send()
        .expect("answered");
    assert!(response.headers().get("retry-after").is_none(), "waiting would not help");
    let (status, body) = checked(&doc, "post", "/v1/commands", response);
    assert_eq!((status, body["error"].as_str()), (413, Some("over_burst")), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("limits.owner_burst")), "{body}");
    assert_eq!(body["field"], "owner");
    assert!(node.terminate());
    let export = gridbook(&["journal", "export", data.join("data").to_str().expect("UTF-8")]);
    assert!(!export.contains("\"op\":\"ask\""), "nothing of the batch was journaled");
    let _ = std::fs::remove_dir_all(&data);
}

/// The CLI's questions, live: `GET /v1/price`, `POST /v1/quote` and `GET /v1/explain/{id}`
/// answer what `gridbook price`, `quote` and `explain` answer of the node's exported journal
/// (the same library code), every 4xx of theirs is as documented, and asking journals nothing.
#[test]
fn price_quote_and_explain_answer_live_what_the_cli_answers_of_the_journal() {
    let doc = openapi();
    let data = fresh_dir("questions");
    let config = data.join("node.toml");
    // No tick during the test: the node's engine time stays that of the last command, which is
    // where the offline tools stop too.
    let toml = "[journal]\ntick_interval_ms = 3600000\n[limits]\nbody_bytes_max = 4096\n";
    std::fs::write(&config, toml).expect("config");
    let node = Node::start(&data.join("data"), &["--config", config.to_str().expect("UTF-8")]);
    let http = client();
    let url = |path: &str| format!("{}{path}", node.url);
    let post = |path: &str, body: String| http.post(url(path)).body(body).send().expect("answered");
    let get = |path: &str| http.get(url(path)).send().expect("answered");
    let (provider, requester) = (key(1), key(2));
    let mut ioc = bid("b-ioc", &requester, "1.50");
    ioc["tif"] = json!("ioc");
    let mut late = bid("b-late", &requester, "3.00");
    late["deadline"] = json!(5_000_000);
    for command in [
        sign(ask("a1", &provider, "2.80"), &provider),
        sign(bid("b-low", &requester, "1.00"), &requester),
        sign(bid("b-take", &requester, "3.00"), &requester),
        sign(ioc, &requester),
        sign(late, &requester),
    ] {
        assert_eq!(post("/v1/commands", command.to_string()).status().as_u16(), 200);
    }

    let hw = r#"{"cpu":32,"mem":256,"gpu":"H100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"}"#;
    let price_path = format!("/v1/price?hw={}", urlencode(hw));
    let (status, price) = checked(&doc, "get", "/v1/price", get(&price_path));
    assert_eq!(status, 200, "{price}");
    assert_eq!(
        price["best_bid"]["per_slot_hour"], "1",
        "b-low is the best bid this machine serves"
    );
    let quoted = bid("q1", &requester, "3.00");
    let (status, quote) = checked(&doc, "post", "/v1/quote", post("/v1/quote", quoted.to_string()));
    assert_eq!((status, quote["fills_now"].as_bool()), (200, Some(true)), "{quote}");
    assert_eq!(quote["fills"][0]["ask"], "a1");
    let mut unknown_gpu = bid("q2", &requester, "3.00");
    unknown_gpu["req"]["gpu"] = json!(["Z9000"]);
    let (status, nothing) =
        checked(&doc, "post", "/v1/quote", post("/v1/quote", unknown_gpu.to_string()));
    assert_eq!(
        (status, nothing["filled"].as_u64()),
        (200, Some(0)),
        "a name never seen matches nothing"
    );

    let explain =
        |id: &str| checked(&doc, "get", "/v1/explain/{id}", get(&format!("/v1/explain/{id}")));
    let (status, resting) = explain("b-low");
    assert_eq!((status, resting["order"]["state"].as_str()), (200, Some("resting")), "{resting}");
    assert_eq!(resting["nearest"][0]["id"], "a1");
    assert_eq!(resting["nearest"][0]["excluded_by"], json!(["price"]));
    for (id, state) in [("b-take", "filled"), ("b-ioc", "cancelled"), ("b-late", "rejected")] {
        let (status, answer) = explain(id);
        assert_eq!((status, answer["order"]["state"].as_str()), (200, Some(state)), "{answer}");
        assert_eq!(answer["nearest"], json!([]));
        assert!(answer["why"].as_str().is_some_and(|why| !why.is_empty()));
    }
    assert!(explain("b-late").1["why"]
        .as_str()
        .is_some_and(|w| w.contains("deadline_unreachable")));

    // Every refusal, as documented.
    let refusals: Vec<Refused> = vec![
        ("get", "/v1/price", get("/v1/price"), 400, "bad_query", None),
        ("get", "/v1/price", get("/v1/price?hw=%7B"), 400, "bad_hardware", Some("hw")),
        (
            "get",
            "/v1/price",
            get(&format!("/v1/price?hw={}", urlencode(r#"{"cpu":"many"}"#))),
            400,
            "bad_field",
            Some("hw"),
        ),
        (
            "get",
            "/v1/price",
            get(&format!("{price_path}&window_ms=0")),
            400,
            "bad_query",
            Some("window_ms"),
        ),
        (
            "get",
            "/v1/price",
            get(&format!("{price_path}&from=10&until=10")),
            400,
            "bad_query",
            Some("until"),
        ),
        (
            "get",
            "/v1/price",
            get(&format!("{price_path}&owner=0x12")),
            400,
            "bad_owner",
            Some("owner"),
        ),
        ("post", "/v1/quote", post("/v1/quote", "{\"op\":".into()), 400, "malformed_json", None),
        (
            "post",
            "/v1/quote",
            post("/v1/quote", ask("q3", &provider, "1").to_string()),
            400,
            "bad_op",
            Some("op"),
        ),
        (
            "post",
            "/v1/quote",
            post(
                "/v1/quote",
                {
                    let mut b = bid("q4", &requester, "1");
                    b["ts"] = json!(1);
                    b
                }
                .to_string(),
            ),
            400,
            "bad_field",
            Some("ts"),
        ),
        (
            "post",
            "/v1/quote",
            post("/v1/quote", bid("q5", &requester, "1.0000000001").to_string()),
            400,
            "bad_price",
            Some("limit"),
        ),
        ("post", "/v1/quote", post("/v1/quote", "x".repeat(5000)), 413, "body_too_large", None),
        ("get", "/v1/explain/{id}", get("/v1/explain/nobody"), 404, "unknown_order", None),
        (
            "get",
            "/v1/explain/{id}",
            get("/v1/explain/b-low?nearest=0"),
            400,
            "bad_query",
            Some("nearest"),
        ),
    ];
    for (method, path, response, expected_status, code, field) in refusals {
        let (status, error) = checked(&doc, method, path, response);
        assert_eq!(
            (status, error["error"].as_str()),
            (expected_status, Some(code)),
            "{path}: {error}"
        );
        if let Some(field) = field {
            assert_eq!(error["field"], field, "{path}: {error}");
        }
    }

    // Offline, on the exported journal: the same answers (the node runs ewma).
    assert!(node.terminate());
    let export = data.join("export.jsonl");
    let export = export.to_str().expect("UTF-8");
    gridbook(&["journal", "export", data.join("data").to_str().expect("UTF-8"), "--out", export]);
    let offline = |args: &[&str]| -> Value {
        serde_json::from_str(&gridbook(args)).expect("the CLI prints JSON")
    };
    assert_eq!(offline(&["price", export, "--hw", hw, "--pricing", "ewma", "--json"]), price);
    let mut line = quoted.clone();
    line["ts"] = json!(0);
    let line = line.to_string();
    assert_eq!(offline(&["quote", export, "--bid", &line, "--pricing", "ewma", "--json"]), quote);
    let on_arrival = offline(&["explain", export, "b-low", "--json"]);
    let rules = |answer: &Value| -> Vec<(Value, Value)> {
        answer["nearest"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|c| (c["id"].clone(), c["excluded_by"].clone()))
            .collect()
    };
    assert_eq!(rules(&on_arrival), rules(&resting), "a1 kept b-low apart by price then as now");
    let journaled = std::fs::read_to_string(export).expect("export");
    assert!(!journaled.contains("\"id\":\"q"), "no question was journaled");
    let _ = std::fs::remove_dir_all(&data);
}

/// A request's answer and the refusal it must be: method and documented path, the answer, then
/// the status, `error` code and `field` expected.
type Refused = (&'static str, &'static str, Response, u16, &'static str, Option<&'static str>);
