//! The conversions every string-backed input type shares.

/// Implements `FromStr`, `TryFrom<String>`, `TryFrom<&str>`, `Display`,
/// `AsRef<str>`, `From<T> for String`, and serde (a string; deserializing
/// validates) for a type with an inherent `fn parse(&str) -> Result<Self,
/// InputError>` and `fn as_str(&self) -> &str`.
macro_rules! string_type {
    ($t:ident) => {
        impl ::std::str::FromStr for $t {
            type Err = $crate::input::InputError;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for $t {
            type Error = $crate::input::InputError;
            fn try_from(s: ::std::string::String) -> ::std::result::Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl ::std::convert::TryFrom<&str> for $t {
            type Error = $crate::input::InputError;
            fn try_from(s: &str) -> ::std::result::Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::convert::From<$t> for ::std::string::String {
            fn from(value: $t) -> Self {
                value.as_str().to_owned()
            }
        }

        impl ::serde::Serialize for $t {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(
                    deserializer,
                )?;
                Self::parse(&s).map_err(::serde::de::Error::custom)
            }
        }
    };
}

// Path-addressable for the other string types of the crate
// (`crate::input::string_type!`), e.g. the model's dotted names.
pub(crate) use string_type;
