//! Instance settings: keys of a small key-value table.

dotted_name!(
    /// The key of an instance setting, such as `proxy.acme_email` or
    /// `backup.retention_days`: dot-separated parts of lowercase letters,
    /// digits and `_`, each starting with a letter; at most 64 characters.
    ///
    /// ```
    /// use rivetr_core::model::SettingKey;
    ///
    /// let key: SettingKey = "proxy.acme_email".parse()?;
    /// assert_eq!(key.as_str(), "proxy.acme_email");
    /// assert!("Proxy.ACME".parse::<SettingKey>().is_err());
    /// assert!("a".repeat(65).parse::<SettingKey>().is_err());
    /// # Ok::<(), rivetr_core::input::InputError>(())
    /// ```
    SettingKey, "setting key", min_segments = 1
);
