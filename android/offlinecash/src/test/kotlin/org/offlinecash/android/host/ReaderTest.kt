// The reader side: OfflineCashReader against an IsoDep (Robolectric's ShadowIsoDep answers the
// commands) and against the real HCE service through the in-memory field (the shared link
// scenarios: taps, tears, retries, refusals).
package org.offlinecash.android.host

import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.android.CardSessionRegistry
import org.offlinecash.android.IsoDepLink
import org.offlinecash.android.OfflineCashReader
import org.offlinecash.android.OfflineCashReader.TapResult
import org.offlinecash.android.scenarios.ScriptedDriver
import org.offlinecash.android.scenarios.hexBytes
import org.offlinecash.android.scenarios.linkConnectFailure
import org.offlinecash.android.scenarios.linkFailureEndsTheSession
import org.offlinecash.android.scenarios.linkTapCompletes
import org.offlinecash.android.scenarios.linkTearThenRetryUsesANewSession
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowIsoDep
import org.robolectric.shadows.ShadowNfcAdapter

@RunWith(RobolectricTestRunner::class)
class ReaderTest {
    @Before
    fun install() = RobolectricHce.install()

    @After
    fun disarm() = CardSessionRegistry.disarm()

    @Test
    fun aTapOverIsoDepGivesTheCoreTheLinksLimitsAndSetsTheTimeout() {
        val isoDep = ShadowIsoDep.newInstance()
        shadowOf(isoDep).apply {
            setExtendedLengthApduSupported(true)
            setMaxTransceiveLength(65_546)
            setTransceiveResponse(hexBytes("9000"))
        }
        var limits: Pair<Boolean, Int>? = null
        val driver = ScriptedDriver()
        val reader = OfflineCashReader({ extended, max -> limits = extended to max; driver }, {})
        assertEquals(TapResult.Completed, reader.tap(IsoDepLink(isoDep)))
        assertEquals(true to 65_546, limits)
        assertEquals(OfflineCashReader.DEFAULT_TIMEOUT_MILLIS, isoDep.timeout)
        assertEquals(1, driver.runs)
    }

    @Test
    fun aTagWithoutIsoDepIsReportedAndStartsNoSession() {
        var sessions = 0
        val results = mutableListOf<TapResult>()
        val reader = OfflineCashReader({ _, _ -> sessions++; ScriptedDriver() }, { results += it })
        reader.onTagDiscovered(ShadowNfcAdapter.createMockTag())
        assertEquals(listOf<TapResult>(TapResult.NotIsoDep), results)
        assertEquals(0, sessions)
    }

    @Test fun tapCompletesThroughTheHceService() = linkTapCompletes()

    @Test fun tearThenRetryUsesANewSession() = linkTearThenRetryUsesANewSession()

    @Test fun failureEndsTheSession() = linkFailureEndsTheSession()

    @Test fun connectFailure() = linkConnectFailure()
}
