#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests unwrap to fail loudly"
)]
//! Webhook deliveries from each provider, signed here as the provider would
//! sign them: good ones become events, tampered, unsigned or wrongly signed
//! ones are refused before their body is read; pings, pull requests, tag
//! pushes, branch deletions and watch paths.

use ring::hmac;
use rivetr_server::webhooks::{
    Provider, PullRequestAction, PullRequestEvent, PushEvent, PushedRef, WebhookError,
    WebhookEvent, verify_and_parse, watch_paths_match,
};

const SECRET: &[u8] = b"whsec-7Qx2-correct-horse";
const ZERO: &str = "0000000000000000000000000000000000000000";

/// A payload from `tests/fixtures/webhooks/`.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/webhooks/", $name)).to_owned()
    };
}

fn hmac_hex(secret: &[u8], body: &[u8]) -> String {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), body);
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

type Headers = Vec<(&'static str, String)>;

/// The headers `provider` sends with `body` for `event`, signed with `secret`.
fn signed(provider: Provider, event: &str, body: &str, secret: &[u8]) -> Headers {
    let sig = hmac_hex(secret, body.as_bytes());
    match provider {
        Provider::Github => vec![
            ("X-Hub-Signature-256", format!("sha256={sig}")),
            ("X-GitHub-Event", event.to_owned()),
        ],
        Provider::Gitlab => vec![
            (
                "X-Gitlab-Token",
                String::from_utf8(secret.to_vec()).unwrap(),
            ),
            ("X-Gitlab-Event", event.to_owned()),
        ],
        Provider::Gitea => vec![
            ("X-Gitea-Signature", sig),
            ("X-Gitea-Event", event.to_owned()),
        ],
        Provider::Bitbucket => vec![
            ("X-Hub-Signature", format!("sha256={sig}")),
            ("X-Event-Key", event.to_owned()),
        ],
        _ => unreachable!("a provider this test does not know"),
    }
}

/// Delivers `body` with `headers` to a hook whose secret is `secret`; header
/// names are looked up ignoring case, as `http::HeaderMap` does.
fn deliver(
    provider: Provider,
    headers: &Headers,
    body: &str,
    secret: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    let lookup = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let result = verify_and_parse(provider, lookup, body.as_bytes(), secret);
    if let (Err(err), false) = (&result, secret.is_empty()) {
        let secret = String::from_utf8_lossy(secret);
        assert!(
            !err.to_string().contains(&*secret),
            "{err} shows the secret"
        );
    }
    result
}

/// A correctly signed delivery of `body`.
fn ok(provider: Provider, event: &str, body: &str) -> WebhookEvent {
    deliver(
        provider,
        &signed(provider, event, body, SECRET),
        body,
        SECRET,
    )
    .unwrap()
}

fn pushes(event: WebhookEvent) -> Vec<PushEvent> {
    match event {
        WebhookEvent::Push { pushes } => pushes,
        other => panic!("not a push: {other:?}"),
    }
}

fn single_push(event: WebhookEvent) -> PushEvent {
    let mut all = pushes(event);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn pull_request(event: WebhookEvent) -> PullRequestEvent {
    match event {
        WebhookEvent::PullRequest(pr) => pr,
        other => panic!("not a pull request: {other:?}"),
    }
}

fn urls(push: &PushEvent) -> Vec<&str> {
    push.repository
        .clone_urls
        .iter()
        .map(|u| u.as_str())
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn ignored_event(event: WebhookEvent) -> String {
    match event {
        WebhookEvent::Ignored { event, .. } => event,
        other => panic!("not ignored: {other:?}"),
    }
}

// ---------------------------------------------------------------- GitHub

#[test]
fn github_push_becomes_a_branch_push_with_its_changed_paths() {
    let push = single_push(ok(Provider::Github, "push", &fixture!("github_push.json")));
    assert_eq!(push.repository.full_name, "northwind/storefront");
    assert_eq!(
        urls(&push),
        [
            "https://github.com/northwind/storefront.git",
            "git@github.com:northwind/storefront.git"
        ]
    );
    assert!(
        push.repository
            .matches(&"https://github.com/Northwind/storefront".parse().unwrap())
    );
    assert_eq!(push.target, PushedRef::Branch("main".parse().unwrap()));
    assert_eq!(
        push.before.as_str(),
        "6570254063cb7ae1775eafb70a2c61019217f355"
    );
    assert_eq!(
        push.after.as_str(),
        "9ace8b386f3f60af49e68548bd188fae6620675a"
    );
    assert!(!push.created && !push.deleted);
    assert!(push.paths_known);
    assert_eq!(
        push.changed_paths,
        [
            "docs/CHANGELOG-old.md",
            "docs/api.md",
            "services/api/Cargo.toml",
            "services/api/src/health.rs",
            "services/api/src/main.rs",
        ]
    );
    let head = push.head_commit.as_ref().unwrap();
    assert_eq!(head.id, push.after);
    assert_eq!(head.summary, "Document the health endpoint");
    assert_eq!(head.author, "Ada Varga");
    assert_eq!(push.pusher, "adavarga");
}

#[test]
fn github_refuses_tampered_unsigned_and_wrongly_signed_deliveries() {
    let body = fixture!("github_push.json");
    let headers = signed(Provider::Github, "push", &body, SECRET);
    let bad = Err(WebhookError::BadSignature {
        header: "X-Hub-Signature-256",
    });

    let tampered = body.replace("refs/heads/main", "refs/heads/prod");
    assert_eq!(deliver(Provider::Github, &headers, &tampered, SECRET), bad);
    assert_eq!(
        deliver(Provider::Github, &headers, &body, b"another secret"),
        bad
    );
    let wrong = signed(Provider::Github, "push", &body, b"another secret");
    assert_eq!(deliver(Provider::Github, &wrong, &body, SECRET), bad);

    let unprefixed = vec![
        ("X-Hub-Signature-256", hmac_hex(SECRET, body.as_bytes())),
        ("X-GitHub-Event", "push".to_owned()),
    ];
    assert_eq!(deliver(Provider::Github, &unprefixed, &body, SECRET), bad);

    // Only the legacy SHA-1 header: not accepted in place of SHA-256.
    let sha1_only = vec![
        (
            "X-Hub-Signature",
            "sha1=0123456789abcdef0123456789abcdef01234567".to_owned(),
        ),
        ("X-GitHub-Event", "push".to_owned()),
    ];
    let missing = Err(WebhookError::MissingSignature {
        header: "X-Hub-Signature-256",
    });
    assert_eq!(
        deliver(Provider::Github, &sha1_only, &body, SECRET),
        missing
    );
}

#[test]
fn the_signature_is_checked_before_the_body_is_read() {
    let headers = signed(Provider::Github, "push", "{}", b"another secret");
    assert_eq!(
        deliver(Provider::Github, &headers, "not json", SECRET),
        Err(WebhookError::BadSignature {
            header: "X-Hub-Signature-256"
        })
    );
    let no_event = vec![(
        "X-Hub-Signature-256",
        format!("sha256={}", hmac_hex(SECRET, b"{}")),
    )];
    assert_eq!(
        deliver(Provider::Github, &no_event, "{}", SECRET),
        Err(WebhookError::UnknownEvent {
            header: "X-GitHub-Event"
        })
    );
    assert_eq!(
        deliver(
            Provider::Github,
            &signed(Provider::Github, "push", "{}", b"x"),
            "{}",
            b""
        ),
        Err(WebhookError::NoSecret)
    );
}

#[test]
fn github_ping_and_unknown_events() {
    assert_eq!(
        ok(Provider::Github, "ping", &fixture!("github_ping.json")),
        WebhookEvent::Ping
    );
    let event = ok(Provider::Github, "issues", r#"{"action":"opened"}"#);
    assert_eq!(ignored_event(event), "issues");
}

#[test]
fn github_tag_push_and_branch_deletion() {
    let tag = single_push(ok(
        Provider::Github,
        "push",
        &fixture!("github_push_tag.json"),
    ));
    assert_eq!(tag.target, PushedRef::Tag("v2.4.0".parse().unwrap()));
    assert_eq!(tag.target.branch(), None);
    assert!(tag.created && !tag.deleted);
    assert_eq!(tag.before.as_str(), ZERO);
    assert!(!tag.paths_known, "a new ref has nothing to compare with");
    assert!(tag.changed_paths.is_empty());
    assert_eq!(tag.head_commit.unwrap().summary, "Release 2.4.0");

    let gone = single_push(ok(
        Provider::Github,
        "push",
        &fixture!("github_push_delete.json"),
    ));
    assert_eq!(
        gone.target.branch().unwrap().as_str(),
        "feature/checkout-v2"
    );
    assert!(gone.deleted && !gone.created);
    assert_eq!(gone.after.as_str(), ZERO);
    assert!(gone.head_commit.is_none());
}

#[test]
fn github_forced_push_has_unknown_paths() {
    let body = fixture!("github_push.json").replace(r#""forced": false"#, r#""forced": true"#);
    let push = single_push(ok(Provider::Github, "push", &body));
    assert!(!push.paths_known);
    assert!(watch_paths_match(
        &strings(&["nowhere/**"]),
        &push.changed_paths,
        push.paths_known
    ));
}

#[test]
fn github_bad_payloads_and_other_refs() {
    let err = deliver(
        Provider::Github,
        &signed(Provider::Github, "push", "[1, 2]", SECRET),
        "[1, 2]",
        SECRET,
    )
    .unwrap_err();
    assert!(
        matches!(&err, WebhookError::BadPayload { event, .. } if event == "push"),
        "{err}"
    );

    let body = fixture!("github_push.json").replace("refs/heads/main", "refs/heads/main;reboot");
    let err = deliver(
        Provider::Github,
        &signed(Provider::Github, "push", &body, SECRET),
        &body,
        SECRET,
    )
    .unwrap_err();
    assert!(err.to_string().contains("git ref"), "{err}");

    let body = fixture!("github_push.json").replace("refs/heads/main", "refs/notes/commits");
    assert_eq!(ignored_event(ok(Provider::Github, "push", &body)), "push");
}

#[test]
fn github_pull_requests() {
    let body = fixture!("github_pull_request.json");
    let pr = pull_request(ok(Provider::Github, "pull_request", &body));
    assert_eq!(pr.number, 57);
    assert_eq!(pr.action, PullRequestAction::Opened);
    assert!(pr.action.is_open());
    assert_eq!(pr.head_branch.as_str(), "speedup");
    assert_eq!(
        pr.head_sha.as_str(),
        "d4337d79e187c3ecb67b771f69427d77ae6db89f"
    );
    assert_eq!(pr.base_branch.as_str(), "main");
    assert_eq!(pr.repository.full_name, "northwind/storefront");
    assert_eq!(
        pr.head_repository.as_ref().unwrap().full_name,
        "outside-contrib/storefront"
    );
    assert!(pr.is_from_fork());

    let action = |action: &str, merged: bool| {
        let body = body
            .replace(r#""action": "opened""#, &format!(r#""action": "{action}""#))
            .replace(r#""merged": false"#, &format!(r#""merged": {merged}"#));
        ok(Provider::Github, "pull_request", &body)
    };
    assert_eq!(
        pull_request(action("synchronize", false)).action,
        PullRequestAction::Synchronize
    );
    assert_eq!(
        pull_request(action("reopened", false)).action,
        PullRequestAction::Reopened
    );
    assert_eq!(
        pull_request(action("closed", false)).action,
        PullRequestAction::Closed
    );
    let merged = pull_request(action("closed", true)).action;
    assert_eq!(merged, PullRequestAction::Merged);
    assert!(!merged.is_open());
    assert_eq!(
        ignored_event(action("labeled", false)),
        "pull_request:labeled"
    );
}

// ---------------------------------------------------------------- GitLab

#[test]
fn gitlab_push_with_the_right_token() {
    let push = single_push(ok(
        Provider::Gitlab,
        "Push Hook",
        &fixture!("gitlab_push.json"),
    ));
    assert_eq!(push.repository.full_name, "platform/payments/billing");
    assert!(
        push.repository.matches(
            &"ssh://git@git.acme-infra.example/platform/payments/billing"
                .parse()
                .unwrap()
        )
    );
    assert_eq!(push.target.branch().unwrap().as_str(), "release/2026-12");
    assert_eq!(
        push.changed_paths,
        [
            "fixtures/invoice.json",
            "src/invoice/totals.py",
            "tests/fixtures/invoice.json"
        ]
    );
    assert!(push.paths_known);
    let head = push.head_commit.unwrap();
    assert_eq!(head.id.as_str(), "56155b4f10c0752a47abe54bb3d9407c9dd26272");
    assert_eq!(head.summary, "Move the fixtures next to the tests");
    assert_eq!(head.author, "Chidi Nwosu");
    assert_eq!(push.pusher, "cnwosu");
}

#[test]
fn gitlab_refuses_a_wrong_or_missing_token() {
    let body = fixture!("gitlab_push.json");
    let bad = Err(WebhookError::BadSignature {
        header: "X-Gitlab-Token",
    });
    for token in [
        "whsec-7Qx2-correct-horsE",
        "whsec-7Qx2-correct-hors",
        "whsec-7Qx2-correct-horse!",
        " ",
    ] {
        let headers = vec![
            ("X-Gitlab-Token", token.to_owned()),
            ("X-Gitlab-Event", "Push Hook".to_owned()),
        ];
        let expected = if token.trim().is_empty() {
            Err(WebhookError::MissingSignature {
                header: "X-Gitlab-Token",
            })
        } else {
            bad.clone()
        };
        assert_eq!(
            deliver(Provider::Gitlab, &headers, &body, SECRET),
            expected,
            "{token:?}"
        );
    }
    let unsigned = vec![("X-Gitlab-Event", "Push Hook".to_owned())];
    assert_eq!(
        deliver(Provider::Gitlab, &unsigned, &body, SECRET),
        Err(WebhookError::MissingSignature {
            header: "X-Gitlab-Token"
        })
    );
    let headers = signed(Provider::Gitlab, "Push Hook", &body, SECRET);
    assert_eq!(
        deliver(Provider::Gitlab, &headers, &body, b"the old token"),
        bad
    );
}

#[test]
fn gitlab_partial_commit_lists_tags_deletions_and_system_hooks() {
    let body = fixture!("gitlab_push.json");
    let partial = body.replace(
        r#""total_commits_count": 2"#,
        r#""total_commits_count": 31"#,
    );
    let push = single_push(ok(Provider::Gitlab, "Push Hook", &partial));
    assert!(!push.paths_known, "GitLab listed 2 of 31 commits");
    assert!(push.changed_paths.is_empty());

    let tag = single_push(ok(
        Provider::Gitlab,
        "Tag Push Hook",
        &fixture!("gitlab_tag_push.json"),
    ));
    assert_eq!(tag.target, PushedRef::Tag("v3.1.0".parse().unwrap()));
    assert!(tag.created);

    let deleted = body.replace(
        r#""after": "56155b4f10c0752a47abe54bb3d9407c9dd26272""#,
        &format!(r#""after": "{ZERO}""#),
    );
    let gone = single_push(ok(Provider::Gitlab, "Push Hook", &deleted));
    assert!(gone.deleted && gone.head_commit.is_none());

    let system = single_push(ok(Provider::Gitlab, "System Hook", &body));
    assert_eq!(system.target.branch().unwrap().as_str(), "release/2026-12");
    let other = ok(
        Provider::Gitlab,
        "System Hook",
        r#"{"event_name":"user_create"}"#,
    );
    assert_eq!(ignored_event(other), "System Hook:user_create");
    assert_eq!(
        ignored_event(ok(Provider::Gitlab, "Note Hook", "{}")),
        "Note Hook"
    );
}

#[test]
fn gitlab_merge_requests() {
    let body = fixture!("gitlab_merge_request.json");
    let pr = pull_request(ok(Provider::Gitlab, "Merge Request Hook", &body));
    assert_eq!(pr.number, 214);
    assert_eq!(pr.action, PullRequestAction::Opened);
    assert_eq!(pr.head_branch.as_str(), "dilves/capture-retry");
    assert_eq!(
        pr.head_sha.as_str(),
        "ea74f7201cd74599062b22722d1069d829e8db09"
    );
    assert_eq!(pr.base_branch.as_str(), "main");
    assert!(!pr.is_from_fork());

    let action = |action: &str| {
        let body = body.replace(r#""action": "open""#, &format!(r#""action": "{action}""#));
        ok(Provider::Gitlab, "Merge Request Hook", &body)
    };
    assert_eq!(
        pull_request(action("merge")).action,
        PullRequestAction::Merged
    );
    assert_eq!(
        pull_request(action("close")).action,
        PullRequestAction::Closed
    );
    assert_eq!(
        pull_request(action("reopen")).action,
        PullRequestAction::Reopened
    );
    // An update without new commits (a title edit) changes no code.
    assert_eq!(ignored_event(action("update")), "Merge Request Hook:update");
    let pushed = body.replace(
        r#""action": "open""#,
        r#""action": "update", "oldrev": "c81c3badecae2a0ffc9fe72da274ffb073287bfd""#,
    );
    let pr = pull_request(ok(Provider::Gitlab, "Merge Request Hook", &pushed));
    assert_eq!(pr.action, PullRequestAction::Synchronize);
}

// ---------------------------------------------------------------- Gitea / Forgejo

#[test]
fn gitea_push() {
    let push = single_push(ok(Provider::Gitea, "push", &fixture!("gitea_push.json")));
    assert_eq!(push.repository.full_name, "hollow/wiki-engine");
    assert_eq!(
        urls(&push),
        [
            "https://code.hollow.example/hollow/wiki-engine.git",
            "ssh://git@code.hollow.example:2222/hollow/wiki-engine.git"
        ]
    );
    assert!(
        push.repository.matches(
            &"git@code.hollow.example:hollow/wiki-engine"
                .parse()
                .unwrap()
        )
    );
    assert_eq!(
        push.changed_paths,
        ["go.mod", "web/cache.go", "web/render.go"]
    );
    assert!(push.paths_known);
    assert_eq!(
        push.head_commit.unwrap().summary,
        "Cache rendered pages for a minute"
    );
    assert_eq!(push.pusher, "eero");
}

#[test]
fn gitea_signatures_and_forgejo_headers() {
    let body = fixture!("gitea_push.json");
    let headers = signed(Provider::Gitea, "push", &body, SECRET);
    let bad = Err(WebhookError::BadSignature {
        header: "X-Gitea-Signature",
    });
    assert_eq!(
        deliver(
            Provider::Gitea,
            &headers,
            &body.replace("main", "mainx"),
            SECRET
        ),
        bad
    );
    assert_eq!(deliver(Provider::Gitea, &headers, &body, b"nope"), bad);
    assert_eq!(
        deliver(
            Provider::Gitea,
            &vec![("X-Gitea-Event", "push".to_owned())],
            &body,
            SECRET
        ),
        Err(WebhookError::MissingSignature {
            header: "X-Gitea-Signature"
        })
    );

    let forgejo = vec![
        ("x-forgejo-signature", hmac_hex(SECRET, body.as_bytes())),
        ("x-forgejo-event", "push".to_owned()),
    ];
    let push = single_push(deliver(Provider::Gitea, &forgejo, &body, SECRET).unwrap());
    assert_eq!(push.target.branch().unwrap().as_str(), "main");
}

#[test]
fn gitea_pull_requests() {
    let body = fixture!("gitea_pull_request.json");
    let pr = pull_request(ok(Provider::Gitea, "pull_request", &body));
    assert_eq!(pr.number, 12);
    assert_eq!(pr.action, PullRequestAction::Synchronize);
    assert_eq!(pr.head_branch.as_str(), "search-history");
    assert_eq!(
        pr.head_sha.as_str(),
        "edb1c9b128bc52a26506eec6457436e75a38c24d"
    );
    assert!(!pr.is_from_fork());
    let merged = body
        .replace(r#""action": "synchronized""#, r#""action": "closed""#)
        .replace(r#""merged": false"#, r#""merged": true"#);
    assert_eq!(
        pull_request(ok(Provider::Gitea, "pull_request", &merged)).action,
        PullRequestAction::Merged
    );
}

// ---------------------------------------------------------------- Bitbucket

#[test]
fn bitbucket_push_of_several_refs_without_paths() {
    let all = pushes(ok(
        Provider::Bitbucket,
        "repo:push",
        &fixture!("bitbucket_push.json"),
    ));
    assert_eq!(all.len(), 2);
    let (update, deletion) = (&all[0], &all[1]);
    assert_eq!(update.repository.full_name, "lumen-labs/mobile-backend");
    assert_eq!(
        urls(update),
        [
            "https://bitbucket.org/lumen-labs/mobile-backend.git",
            "git@bitbucket.org:lumen-labs/mobile-backend.git"
        ]
    );
    assert_eq!(update.target.branch().unwrap().as_str(), "production");
    assert_eq!(
        update.before.as_str(),
        "6570254063cb7ae1775eafb70a2c61019217f355"
    );
    assert_eq!(
        update.after.as_str(),
        "3914cff1a2ce86ee5d81a2f7c27793001ac038ec"
    );
    assert!(!update.paths_known && update.changed_paths.is_empty());
    let head = update.head_commit.as_ref().unwrap();
    assert_eq!(
        (head.summary.as_str(), head.author.as_str()),
        ("Raise the upload limit to 25 MB", "Farah Haddad")
    );
    assert_eq!(update.pusher, "fhaddad");
    assert!(watch_paths_match(
        &strings(&["api/**"]),
        &update.changed_paths,
        update.paths_known
    ));

    assert_eq!(deletion.target.branch().unwrap().as_str(), "spike/grpc");
    assert!(deletion.deleted);
    assert_eq!(deletion.after.as_str(), ZERO);
    assert!(deletion.head_commit.is_none());
}

#[test]
fn bitbucket_signatures_and_ping() {
    let body = fixture!("bitbucket_push.json");
    let headers = signed(Provider::Bitbucket, "repo:push", &body, SECRET);
    let bad = Err(WebhookError::BadSignature {
        header: "X-Hub-Signature",
    });
    assert_eq!(
        deliver(
            Provider::Bitbucket,
            &headers,
            &body.replacen("production", "main", 1),
            SECRET
        ),
        bad
    );
    assert_eq!(deliver(Provider::Bitbucket, &headers, &body, b"nope"), bad);
    assert_eq!(
        deliver(
            Provider::Bitbucket,
            &vec![("X-Event-Key", "repo:push".to_owned())],
            &body,
            SECRET
        ),
        Err(WebhookError::MissingSignature {
            header: "X-Hub-Signature"
        })
    );
    assert_eq!(
        ok(Provider::Bitbucket, "diagnostics:ping", r#"{"test":true}"#),
        WebhookEvent::Ping
    );
}

#[test]
fn bitbucket_pull_requests() {
    let body = fixture!("bitbucket_pullrequest.json");
    let pr = pull_request(ok(Provider::Bitbucket, "pullrequest:created", &body));
    assert_eq!(pr.number, 88);
    assert_eq!(pr.action, PullRequestAction::Opened);
    assert_eq!(pr.head_branch.as_str(), "gmoreau/resize-pool");
    assert_eq!(pr.head_sha.as_str(), "9da356ce6228");
    assert_eq!(pr.base_branch.as_str(), "production");
    assert!(!pr.is_from_fork());
    for (key, action) in [
        ("pullrequest:updated", PullRequestAction::Synchronize),
        ("pullrequest:fulfilled", PullRequestAction::Merged),
        ("pullrequest:rejected", PullRequestAction::Closed),
    ] {
        assert_eq!(
            pull_request(ok(Provider::Bitbucket, key, &body)).action,
            action,
            "{key}"
        );
    }
    assert_eq!(
        ignored_event(ok(Provider::Bitbucket, "pullrequest:approved", &body)),
        "pullrequest:approved"
    );
}

// ---------------------------------------------------------------- the event itself

#[test]
fn a_form_encoded_body_is_explained() {
    let body = "payload=%7B%22zen%22%3A%22hi%22%7D";
    let err = deliver(
        Provider::Github,
        &signed(Provider::Github, "push", body, SECRET),
        body,
        SECRET,
    )
    .unwrap_err();
    assert!(err.to_string().contains("application/json"), "{err}");
    assert!(!err.is_unauthenticated());
}

#[test]
fn events_serialize_for_the_delivery_log_and_read_back() {
    let event = ok(Provider::Github, "push", &fixture!("github_push.json"));
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["kind"], "push");
    assert_eq!(json["pushes"][0]["target"]["type"], "branch");
    assert_eq!(json["pushes"][0]["target"]["name"], "main");
    assert_eq!(serde_json::from_value::<WebhookEvent>(json).unwrap(), event);

    let pr = ok(
        Provider::Gitea,
        "pull_request",
        &fixture!("gitea_pull_request.json"),
    );
    let json = serde_json::to_value(&pr).unwrap();
    assert_eq!(json["kind"], "pull_request");
    assert_eq!(json["action"], "synchronize");
    assert_eq!(serde_json::from_value::<WebhookEvent>(json).unwrap(), pr);
}

// ---------------------------------------------------------------- watch paths

#[test]
fn watch_paths_decide_which_apps_a_push_deploys() {
    let push = single_push(ok(Provider::Github, "push", &fixture!("github_push.json")));
    let deploys = |patterns: &[&str]| {
        watch_paths_match(&strings(patterns), &push.changed_paths, push.paths_known)
    };
    assert!(deploys(&[]));
    assert!(deploys(&["services/api/**"]));
    assert!(deploys(&["services/api"]));
    assert!(!deploys(&["services/web/**"]));
    assert!(!deploys(&["docs/**", "!**/*.md"]));
    assert!(deploys(&["docs/**", "!services/**"]));
    assert!(deploys(&["**", "!docs/**"]));
    assert!(!deploys(&["**/*.md", "!docs/**"]));
    assert!(deploys(&["services/*/src/*.rs"]));
}
