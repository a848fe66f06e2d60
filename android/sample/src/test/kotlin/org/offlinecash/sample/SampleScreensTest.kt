// The sample's screens under Robolectric: the launcher screen starts, and the Pay screen holds
// reader mode exactly while it is in front.
package org.offlinecash.sample

import android.content.pm.PackageManager
import android.nfc.NfcAdapter
import android.widget.LinearLayout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowNfcAdapter

@RunWith(RobolectricTestRunner::class)
@Config(application = SampleApp::class)
class SampleScreensTest {
    @Before
    fun nfcHardware() {
        ShadowNfcAdapter.setNfcHardwareExists(true)
        shadowOf(RuntimeEnvironment.getApplication().packageManager).apply {
            setSystemFeature(PackageManager.FEATURE_NFC, true)
            setSystemFeature(PackageManager.FEATURE_NFC_HOST_CARD_EMULATION, true)
        }
    }

    @Test
    fun theLauncherScreenShowsAnAmountFieldAndTwoButtons() {
        val activity = Robolectric.buildActivity(MainActivity::class.java).setup().get()
        val content = activity.findViewById<android.view.ViewGroup>(android.R.id.content)?.getChildAt(0) as LinearLayout
        assertEquals(3, content.childCount)
    }

    @Test
    fun payHoldsReaderModeOnlyWhileInFront() {
        val controller = Robolectric.buildActivity(PayActivity::class.java).setup()
        val adapter = NfcAdapter.getDefaultAdapter(controller.get())
        assertTrue("reader mode after onResume", shadowOf(adapter).isInReaderMode)
        controller.pause()
        assertFalse("no reader mode after onPause", shadowOf(adapter).isInReaderMode)
    }
}
