// On-device runs of the shared link scenarios (no issuer needed): the reader and the HCE
// service on Android's runtime, with scripted sessions.
package org.offlinecash.android.device

import androidx.test.ext.junit.runners.AndroidJUnit4
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.android.scenarios.linkConnectFailure
import org.offlinecash.android.scenarios.linkFailureEndsTheSession
import org.offlinecash.android.scenarios.linkTapCompletes
import org.offlinecash.android.scenarios.linkTearThenRetryUsesANewSession

@RunWith(AndroidJUnit4::class)
class LinkScenariosTest {
    @Test fun tapCompletes() = linkTapCompletes()

    @Test fun tearThenRetryUsesANewSession() = linkTearThenRetryUsesANewSession()

    @Test fun failureEndsTheSession() = linkFailureEndsTheSession()

    @Test fun connectFailure() = linkConnectFailure()
}
