//! The `notification_channels` check of the store conformance suite.

use super::helpers::{conflict, denied, ids, not_found, ok, parse, refused, tag};
use super::platform_fixtures::{crew, member};
use crate::access::Scope;
use crate::error::ErrorKind;
use crate::id::{ChannelId, TeamId};
use crate::model::{
    ChannelKind, NewNotificationChannel, NotificationChannel, Role, SecretString, TokenScope,
};
use crate::store::{NotificationChannelRepo, TeamRepo, UserRepo};

fn channel(team: TeamId, name: &str, kind: ChannelKind, config: &str) -> NewNotificationChannel {
    NewNotificationChannel {
        team_id: team,
        name: parse(name),
        kind,
        config: SecretString::new(config),
        enabled: true,
    }
}

fn config(channel: &NotificationChannel) -> Option<&str> {
    channel.config.as_ref().map(SecretString::expose)
}

const SLACK: &str = r#"{"webhook_url":"https://hooks.slack.com/services/T0/B0/secret"}"#;
const SMTP: &str = r#"{"host":"smtp.example.com","password":"hunter2"}"#;

/// Teams' notification channels: `ManageProjects` to create, switch and
/// delete, `Read` to list; names unique per team; the config a JSON object,
/// shown only to scopes that may reveal secrets and to the system; another
/// team's channels invisible through every method; a deleted team's
/// channels gone.
pub async fn notification_channels<S: NotificationChannelRepo + TeamRepo + UserRepo + ?Sized>(
    store: &S,
) {
    let system = Scope::system();
    let a = crew(store, "channels-a").await;
    let b = crew(store, "channels-b").await;
    let viewer = member(store, &a, Role::Viewer).await;
    let dev = member(store, &a, Role::Developer).await;
    let admin = member(store, &a, Role::Admin).await;
    let owner = &a.owner_scope;
    let ops = format!("ops-{}", tag());

    // Creating.
    let new = channel(a.team, &ops, ChannelKind::Slack, SLACK);
    let slack = ok(
        store.create_channel(owner, new.clone()).await,
        "create_channel by an owner",
    );
    assert!(
        slack.team_id == a.team
            && slack.name == new.name
            && slack.kind == ChannelKind::Slack
            && slack.enabled
            && config(&slack) == Some(SLACK),
        "store contract: create_channel stores the channel as given and shows its config to an \
         owner; got {slack:?}"
    );
    let email = ok(
        store
            .create_channel(
                &admin,
                channel(a.team, "on-call mail", ChannelKind::Email, SMTP),
            )
            .await,
        "create_channel by an admin (ManageProjects)",
    );
    for (who, scope) in [("a developer", &dev), ("a viewer", &viewer)] {
        denied(
            store
                .create_channel(scope, channel(a.team, "nope", ChannelKind::Webhook, "{}"))
                .await,
            &format!("create_channel by {who}"),
        );
    }
    conflict(
        store
            .create_channel(owner, channel(a.team, &ops, ChannelKind::Discord, "{}"))
            .await,
        "create_channel with a name already used in the team",
    );
    for bad in ["[]", "\"url\"", "not json"] {
        refused(
            store
                .create_channel(owner, channel(a.team, "bad", ChannelKind::Webhook, bad))
                .await,
            ErrorKind::InvalidInput,
            &format!("create_channel with config {bad} (not a JSON object) is InvalidInput"),
        );
    }
    not_found(
        store
            .create_channel(
                &system,
                channel(TeamId::new(), "ghost", ChannelKind::Webhook, "{}"),
            )
            .await,
        "create_channel in an unknown team",
    );

    // Reading: config only for those who may reveal secrets.
    let write_token = owner.clone().with_token_scope(TokenScope::Write);
    for (who, scope) in [
        ("a viewer", &viewer),
        ("a developer", &dev),
        ("an owner through a write token", &write_token),
    ] {
        let listed = ok(store.list_channels(scope).await, "list_channels");
        assert!(
            ids(&listed, |c| c.id) == vec![slack.id, email.id]
                && listed.iter().all(|c| c.config.is_none()),
            "store contract: list_channels shows {who} the team's channels in creation order, \
             without config; got {listed:?}"
        );
        let got = ok(store.get_channel(scope, slack.id).await, "get_channel");
        assert!(
            got.config.is_none() && got.name == slack.name,
            "store contract: get_channel hides the config from {who}"
        );
    }
    for (who, scope) in [
        ("an admin", &admin),
        ("an owner", owner),
        ("the system", &system),
    ] {
        let got = ok(store.get_channel(scope, email.id).await, "get_channel");
        assert!(
            config(&got) == Some(SMTP),
            "store contract: get_channel shows the config to {who}; got {got:?}"
        );
    }
    not_found(
        store.get_channel(&system, ChannelId::new()).await,
        "get_channel of an unknown channel",
    );

    // Switching off and on.
    denied(
        store.set_channel_enabled(&dev, slack.id, false).await,
        "set_channel_enabled by a developer",
    );
    let off = ok(
        store.set_channel_enabled(&admin, slack.id, false).await,
        "set_channel_enabled by an admin",
    );
    assert!(
        !off.enabled && off.id == slack.id,
        "store contract: set_channel_enabled switches the channel; got {off:?}"
    );
    let got = ok(store.get_channel(&viewer, slack.id).await, "get_channel");
    assert!(
        !got.enabled,
        "store contract: a switched-off channel reads as disabled"
    );
    let on = ok(
        store.set_channel_enabled(owner, slack.id, true).await,
        "set_channel_enabled",
    );
    assert!(
        on.enabled,
        "store contract: set_channel_enabled switches the channel back on"
    );

    // Another team sees and changes nothing of team A's.
    let x = &b.owner_scope;
    let cross = |what: &str| format!("{what} of another team's channel");
    not_found(store.get_channel(x, slack.id).await, &cross("get_channel"));
    not_found(
        store.set_channel_enabled(x, slack.id, false).await,
        &cross("set_channel_enabled"),
    );
    not_found(
        store.delete_channel(x, slack.id).await,
        &cross("delete_channel"),
    );
    not_found(
        store
            .create_channel(x, channel(a.team, "hijack", ChannelKind::Webhook, "{}"))
            .await,
        &cross("create_channel (in another team)"),
    );
    let b_list = ok(store.list_channels(x).await, "list_channels");
    assert!(
        b_list.is_empty(),
        "store contract: list_channels leaves other teams' channels out; got {b_list:?}"
    );
    let b_ops = ok(
        store
            .create_channel(x, channel(b.team, &ops, ChannelKind::Slack, SLACK))
            .await,
        "create_channel in the own team with a name another team uses",
    );
    let a_still = ok(store.get_channel(owner, slack.id).await, "get_channel");
    assert!(
        a_still.enabled && config(&a_still) == Some(SLACK),
        "store contract: another team's calls leave team A's channel unchanged; got {a_still:?}"
    );

    // Deleting.
    denied(
        store.delete_channel(&dev, email.id).await,
        "delete_channel by a developer",
    );
    ok(
        store.delete_channel(&admin, email.id).await,
        "delete_channel by an admin",
    );
    not_found(
        store.get_channel(owner, email.id).await,
        "get_channel of a deleted channel",
    );
    not_found(
        store.delete_channel(owner, email.id).await,
        "delete_channel of a deleted channel",
    );

    // A deleted team's channels go with it.
    ok(
        store.delete_team(owner, a.team).await,
        "delete_team by its owner",
    );
    not_found(
        store.get_channel(&system, slack.id).await,
        "get_channel of a deleted team's channel",
    );
    ok(
        store.get_channel(&system, b_ops.id).await,
        "get_channel of another team's channel after a team was deleted",
    );
}
