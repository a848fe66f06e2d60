// Root build: plugin versions only (pinned in gradle/libs.versions.toml); every module
// configures itself.
plugins {
    alias(libs.plugins.android.library) apply false
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.kotlin.android) apply false
}
