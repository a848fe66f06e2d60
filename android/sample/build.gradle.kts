// Sample app: one screen to receive (shows the amount, lets the HCE service answer), one to
// pay (reader mode). It shows how to wire the library; it holds no payment logic.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "org.offlinecash.sample"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.offlinecash.sample"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1"
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }

    // The cold-start and merged-manifest tests (src/test) use the library's shared helpers.
    sourceSets.getByName("test").kotlin.srcDir("../offlinecash/src/sharedTest/kotlin")
    testOptions.unitTests.all {
        it.systemProperty("offlinecash.android", rootDir.path)
    }
}

dependencies {
    implementation(project(":offlinecash"))

    testImplementation(libs.robolectric)
    testImplementation(libs.junit)
}
