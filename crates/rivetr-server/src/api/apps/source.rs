//! [`SourceBody`]: where an app's code or image comes from.

use rivetr_core::id::UploadId;
use rivetr_core::input::{GitRef, GitUrl, GitUrlPolicy, ImageRef, PathInRepo};
use rivetr_core::model::SourceSpec;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::invalid;
use crate::api::ApiError;

/// Where an app's code or image comes from.
///
/// Read through [`SourceFields`], so a refused value is reported with its
/// field (`spec.source.url`), which serde's internally tagged enums lose.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "SourceFields")]
pub(super) enum SourceBody {
    /// A git repository (`https://` or `ssh://`/scp-like) at a branch, tag
    /// or commit.
    Git {
        /// Repository address.
        #[schema(value_type = String)]
        url: GitUrl,
        /// Branch, tag or commit to deploy.
        #[schema(value_type = String)]
        reference: GitRef,
        /// Only pushes touching these paths (relative to the repository)
        /// trigger a deploy; empty: any push.
        #[serde(default)]
        #[schema(value_type = Vec<String>)]
        watch_paths: Vec<PathInRepo>,
    },
    /// An archive uploaded with `POST /api/v1/apps/{app}/deploy/archive`.
    Archive {
        /// The stored upload.
        #[schema(value_type = String, format = Uuid)]
        upload: UploadId,
    },
    /// A prebuilt image: no fetch of code, no build.
    Image {
        /// The image to run, e.g. `nginx:1.27`.
        #[schema(value_type = String)]
        image: ImageRef,
    },
}

impl SourceBody {
    /// The core source; a git URL must also pass the instance's policy
    /// (the git fetcher's too: by default neither `file://` nor
    /// `http://`).
    pub(super) fn into_source(self, policy: &GitUrlPolicy) -> Result<SourceSpec, ApiError> {
        Ok(match self {
            SourceBody::Git {
                url,
                reference,
                watch_paths,
            } => {
                policy
                    .check(&url)
                    .map_err(|err| invalid("source.url", err))?;
                SourceSpec::Git {
                    url,
                    reference,
                    watch_paths,
                }
            }
            SourceBody::Archive { upload } => SourceSpec::Archive { upload },
            SourceBody::Image { image } => SourceSpec::Image { image },
        })
    }
}

impl From<&SourceSpec> for SourceBody {
    fn from(source: &SourceSpec) -> Self {
        match source.clone() {
            SourceSpec::Git {
                url,
                reference,
                watch_paths,
            } => Self::Git {
                url,
                reference,
                watch_paths,
            },
            SourceSpec::Archive { upload } => Self::Archive { upload },
            SourceSpec::Image { image } => Self::Image { image },
        }
    }
}

/// The kinds of source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SourceKind {
    Git,
    Archive,
    Image,
}

/// Every field a source may have, each parsed into its input type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFields {
    #[serde(rename = "type")]
    kind: SourceKind,
    #[serde(default)]
    url: Option<GitUrl>,
    #[serde(default)]
    reference: Option<GitRef>,
    #[serde(default)]
    watch_paths: Option<Vec<PathInRepo>>,
    #[serde(default)]
    upload: Option<UploadId>,
    #[serde(default)]
    image: Option<ImageRef>,
}

impl TryFrom<SourceFields> for SourceBody {
    type Error = String;

    fn try_from(f: SourceFields) -> Result<Self, String> {
        let foreign = |name: &str, given: bool, kind: &str| {
            if given {
                Err(format!(
                    "`{name}` does not belong to a source of type {kind}"
                ))
            } else {
                Ok(())
            }
        };
        let needed = |name: &str, kind: &str| format!("a source of type {kind} needs `{name}`");
        match f.kind {
            SourceKind::Git => {
                foreign("upload", f.upload.is_some(), "git")?;
                foreign("image", f.image.is_some(), "git")?;
                Ok(Self::Git {
                    url: f.url.ok_or_else(|| needed("url", "git"))?,
                    reference: f.reference.ok_or_else(|| needed("reference", "git"))?,
                    watch_paths: f.watch_paths.unwrap_or_default(),
                })
            }
            SourceKind::Archive => {
                for (name, given) in [
                    ("url", f.url.is_some()),
                    ("reference", f.reference.is_some()),
                    ("watch_paths", f.watch_paths.is_some()),
                    ("image", f.image.is_some()),
                ] {
                    foreign(name, given, "archive")?;
                }
                Ok(Self::Archive {
                    upload: f.upload.ok_or_else(|| needed("upload", "archive"))?,
                })
            }
            SourceKind::Image => {
                for (name, given) in [
                    ("url", f.url.is_some()),
                    ("reference", f.reference.is_some()),
                    ("watch_paths", f.watch_paths.is_some()),
                    ("upload", f.upload.is_some()),
                ] {
                    foreign(name, given, "image")?;
                }
                Ok(Self::Image {
                    image: f.image.ok_or_else(|| needed("image", "image"))?,
                })
            }
        }
    }
}
