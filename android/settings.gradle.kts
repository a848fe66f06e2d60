// Offline Cash Android build: the `offlinecash` library (HCE service, reader mode, Keystore
// signer and key wrapper, sync job) and a `sample` app using it. See README.md.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "offline-cash-android"
include(":offlinecash", ":sample")
