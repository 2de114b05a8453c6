//! Which apps a push deploys.
//!
//! An app is concerned by a push when it is built from git and its URL
//! names the pushed repository ([`RepoRef::matches`]: scheme, ssh user,
//! case and `.git` do not matter). It is deployed when one of the pushed
//! refs is the branch it deploys, the push did not delete that branch, and
//! the push touched its watch paths (if it has any).
//!
//! Watch paths are stored as core `PathInRepo`s, plain relative paths
//! without globs: each one matches itself and everything below it, which
//! is how [`watch_paths_match`] reads a pattern without wildcards.

use rivetr_core::input::GitRef;
use rivetr_core::model::SourceSpec;

use crate::webhooks::{PushEvent, PushedRef, RepoRef, watch_paths_match};

/// What a push means for one app it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Deploy the app's branch (its head is now `commit`).
    Deploy {
        /// The commit the branch points to after the push.
        commit: GitRef,
    },
    /// Nothing to do, for this reason.
    Skip(String),
}

/// What the `pushes` of one delivery mean for an app built from `source`;
/// `None` when none of them is to the app's repository.
pub(super) fn judge(source: &SourceSpec, pushes: &[PushEvent]) -> Option<Verdict> {
    let SourceSpec::Git {
        url,
        reference,
        watch_paths,
    } = source
    else {
        return None;
    };
    let to_repo: Vec<&PushEvent> = pushes
        .iter()
        .filter(|p| p.repository.matches(url))
        .collect();
    if to_repo.is_empty() {
        return None;
    }
    let branch = branch_of(reference);
    let Some(push) = to_repo
        .iter()
        .find(|p| p.target.branch().is_some_and(|b| b.as_str() == branch))
    else {
        let pushed: Vec<String> = to_repo.iter().map(|p| describe(&p.target)).collect();
        return Some(Verdict::Skip(format!(
            "pushed {}; the app deploys branch {branch}",
            pushed.join(", ")
        )));
    };
    if push.deleted {
        return Some(Verdict::Skip(format!(
            "the push deleted branch {branch}: nothing to deploy"
        )));
    }
    let patterns: Vec<String> = watch_paths.iter().map(|p| p.as_str().to_owned()).collect();
    if !watch_paths_match(&patterns, &push.changed_paths, push.paths_known) {
        return Some(Verdict::Skip(format!(
            "the push to {branch} changed none of the watch paths ({})",
            patterns.join(", ")
        )));
    }
    Some(Verdict::Deploy {
        commit: push.after.clone(),
    })
}

/// Whether an app built from `source` is built from `repository` (for
/// pull requests, which deploy nothing yet but are logged for the apps
/// they concern).
pub(super) fn builds_from(source: &SourceSpec, repository: &RepoRef) -> bool {
    matches!(source, SourceSpec::Git { url, .. } if repository.matches(url))
}

/// The branch an app deploys: its reference, without a `refs/heads/`.
fn branch_of(reference: &GitRef) -> &str {
    let r = reference.as_str();
    r.strip_prefix("refs/heads/").unwrap_or(r)
}

fn describe(target: &PushedRef) -> String {
    match target {
        PushedRef::Branch(name) => format!("branch {name}"),
        PushedRef::Tag(name) => format!("tag {name}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap to fail loudly")]

    use rivetr_core::model::AppSpec;

    use super::*;

    const SHA: &str = "9ace8b386f3f60af49e68548bd188fae6620675a";

    fn push(target: PushedRef, changed: &[&str]) -> PushEvent {
        PushEvent {
            repository: RepoRef {
                full_name: "acme/shop".into(),
                clone_urls: vec!["https://github.com/acme/shop.git".parse().unwrap()],
            },
            target,
            before: "0".repeat(40).parse().unwrap(),
            after: SHA.parse().unwrap(),
            created: false,
            deleted: false,
            changed_paths: changed.iter().map(|s| (*s).to_owned()).collect(),
            paths_known: true,
            head_commit: None,
            pusher: "ada".into(),
        }
    }

    fn branch(name: &str) -> PushedRef {
        PushedRef::Branch(name.parse().unwrap())
    }

    fn app(url: &str, reference: &str, watch: &[&str]) -> SourceSpec {
        let mut spec = AppSpec::from_git(url.parse().unwrap(), reference.parse().unwrap());
        if let SourceSpec::Git { watch_paths, .. } = &mut spec.source {
            *watch_paths = watch.iter().map(|p| p.parse().unwrap()).collect();
        }
        spec.source
    }

    fn deploy() -> Option<Verdict> {
        Some(Verdict::Deploy {
            commit: SHA.parse().unwrap(),
        })
    }

    #[test]
    fn the_branch_of_the_repository_deploys_whatever_the_url_form() {
        let pushes = [push(branch("main"), &["src/main.rs"])];
        for url in [
            "https://github.com/acme/shop",
            "git@github.com:Acme/shop.git",
        ] {
            assert_eq!(judge(&app(url, "main", &[]), &pushes), deploy(), "{url}");
        }
        assert_eq!(
            judge(
                &app("https://github.com/acme/shop", "refs/heads/main", &[]),
                &pushes
            ),
            deploy()
        );
    }

    #[test]
    fn other_repositories_are_not_concerned() {
        let pushes = [push(branch("main"), &[])];
        assert_eq!(
            judge(&app("https://github.com/acme/shop2", "main", &[]), &pushes),
            None
        );
        let image = AppSpec::from_image("nginx:1".parse().unwrap()).source;
        assert_eq!(judge(&image, &pushes), None);
    }

    #[test]
    fn other_branches_tags_and_deletions_are_skipped() {
        let source = app("https://github.com/acme/shop", "main", &[]);
        let Some(Verdict::Skip(why)) = judge(&source, &[push(branch("dev"), &[])]) else {
            panic!("deployed");
        };
        assert_eq!(why, "pushed branch dev; the app deploys branch main");
        let tag = PushedRef::Tag("main".parse().unwrap());
        assert!(matches!(
            judge(&source, &[push(tag, &[])]),
            Some(Verdict::Skip(_))
        ));
        let mut deleted = push(branch("main"), &[]);
        deleted.deleted = true;
        let Some(Verdict::Skip(why)) = judge(&source, &[deleted]) else {
            panic!("deployed");
        };
        assert!(why.contains("deleted"), "{why}");
    }

    #[test]
    fn watch_paths_are_directories() {
        let source = app("https://github.com/acme/shop", "main", &["services/api"]);
        let touched = [push(branch("main"), &["services/api/src/main.rs"])];
        assert_eq!(judge(&source, &touched), deploy());
        let untouched = [push(branch("main"), &["docs/api.md", "services/apiary/x"])];
        let Some(Verdict::Skip(why)) = judge(&source, &untouched) else {
            panic!("deployed");
        };
        assert!(why.contains("services/api"), "{why}");
        let mut unknown = push(branch("main"), &[]);
        unknown.paths_known = false;
        assert_eq!(judge(&source, &[unknown]), deploy());
    }

    #[test]
    fn one_of_several_pushed_refs_is_enough() {
        let source = app("https://github.com/acme/shop", "main", &[]);
        let pushes = [push(branch("dev"), &[]), push(branch("main"), &["a"])];
        assert_eq!(judge(&source, &pushes), deploy());
    }
}
