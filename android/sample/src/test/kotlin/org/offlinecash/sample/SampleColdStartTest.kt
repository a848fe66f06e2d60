// The sample app's cold start under Robolectric: the Application schedules the periodic sync
// with JobScheduler (which, from targetSdk 34, needs ACCESS_NETWORK_STATE for its network
// constraint), and the sync job started in that cold process, before any screen, does not give
// up for want of an open wallet: it tries to open it, off the main thread.
package org.offlinecash.sample

import android.app.job.JobInfo
import android.app.job.JobScheduler
import java.io.File
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.android.SyncJobService
import org.offlinecash.android.SyncScheduler
import org.offlinecash.android.scenarios.jobParameters
import org.offlinecash.android.scenarios.manifestPermissions
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config

@RunWith(RobolectricTestRunner::class)
@Config(application = SampleApp::class)
class SampleColdStartTest {
    private val app get() = RuntimeEnvironment.getApplication() as SampleApp

    @Test
    fun launchSchedulesThePeriodicSyncWithANetworkConstraint() {
        val job = app.getSystemService(JobScheduler::class.java)?.getPendingJob(SyncScheduler.PERIODIC_JOB_ID)
        assertNotNull("the Application's onCreate scheduled the periodic sync", job)
        assertEquals(JobInfo.NETWORK_TYPE_ANY, job!!.networkType)
        // What JobSchedulerService checks at schedule() from targetSdk 34 on.
        val android = File(System.getProperty("offlinecash.android") ?: "android")
        val merged = manifestPermissions(File(android, "offlinecash/src/main/AndroidManifest.xml")) +
            manifestPermissions(File(android, "sample/src/main/AndroidManifest.xml"))
        assertTrue("merged permissions: $merged", "android.permission.ACCESS_NETWORK_STATE" in merged)
    }

    @Test
    fun theSyncJobInAColdProcessOpensTheWalletItself() {
        assertNull("no screen opened the wallet", app.wallet)
        val service = Robolectric.buildService(SyncJobService::class.java).create().get()
        assertTrue("the job works (opens the wallet on its coroutine) instead of ending at once",
            service.onStartJob(jobParameters(SyncScheduler.SOON_JOB_ID)))
        val deadline = System.currentTimeMillis() + 10_000
        while (!shadowOf(service).isJobFinished && System.currentTimeMillis() < deadline) Thread.sleep(5)
        // There is no AndroidKeyStore under Robolectric: opening fails there, and the job still
        // reports its end to JobScheduler. On a device the same path opens the wallet and syncs.
        assertTrue("jobFinished called", shadowOf(service).isJobFinished)
    }
}
