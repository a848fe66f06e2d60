// The sync job through Robolectric's service lifecycle and ShadowJobScheduler: what it asks of
// the Application (on which thread, in a cold process), what it reports to JobScheduler, and
// the jobs SyncScheduler schedules.
package org.offlinecash.android.host

import android.app.Application
import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.os.Looper
import java.io.IOException
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.android.SyncHost
import org.offlinecash.android.SyncJobService
import org.offlinecash.android.SyncScheduler
import org.offlinecash.android.SyncTask
import org.offlinecash.android.scenarios.jobParameters
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config

/** An app whose wallet is opened only when something asks for it, as in a cold process. */
class LazyWalletApp : Application(), SyncHost {
    @Volatile var walletOpened = false
    @Volatile var askedOnThread: String? = null
    @Volatile var syncs = 0
    @Volatile var failWith: Exception? = null

    override fun offlineCashSync(): SyncTask {
        askedOnThread = Thread.currentThread().name
        check(Looper.myLooper() != Looper.getMainLooper()) { "the wallet must not be opened on the main thread" }
        walletOpened = true
        return SyncTask {
            syncs++
            failWith?.let { throw it }
        }
    }
}

@RunWith(RobolectricTestRunner::class)
@Config(application = LazyWalletApp::class)
class SyncJobServiceTest {
    private val app get() = RuntimeEnvironment.getApplication() as LazyWalletApp

    private fun runJob(): SyncJobService {
        val service = Robolectric.buildService(SyncJobService::class.java).create().get()
        assertTrue("the work continues on a coroutine", service.onStartJob(jobParameters(SyncScheduler.SOON_JOB_ID)))
        val deadline = System.currentTimeMillis() + 10_000
        while (!shadowOf(service).isJobFinished && System.currentTimeMillis() < deadline) Thread.sleep(5)
        assertTrue("jobFinished called", shadowOf(service).isJobFinished)
        return service
    }

    @Test
    fun aColdProcessOpensTheWalletInsideTheJobOffTheMainThread() {
        assertFalse(app.walletOpened)
        val service = runJob()
        assertTrue(app.walletOpened)
        assertEquals(1, app.syncs)
        assertTrue("asked off the main thread, on ${app.askedOnThread}", app.askedOnThread != Looper.getMainLooper().thread.name)
        assertFalse("a done sync is not rescheduled", shadowOf(service).isRescheduleNeeded)
    }

    @Test
    fun aNetworkFailureAsksForARetryAMisuseDoesNot() {
        app.failWith = IOException("no route to issuer")
        assertTrue(shadowOf(runJob()).isRescheduleNeeded)
        app.failWith = IllegalStateException("bug")
        assertFalse(shadowOf(runJob()).isRescheduleNeeded)
    }

    @Test
    fun scheduledJobsNeedAnyNetworkBackOffExponentiallyAndPersist() {
        assertTrue(SyncScheduler.schedulePeriodic(app))
        assertTrue(SyncScheduler.syncSoon(app))
        val scheduler = app.getSystemService(JobScheduler::class.java) ?: throw AssertionError("no JobScheduler")
        val periodic = scheduler.getPendingJob(SyncScheduler.PERIODIC_JOB_ID)
        val soon = scheduler.getPendingJob(SyncScheduler.SOON_JOB_ID)
        assertNotNull(periodic)
        assertNotNull(soon)
        for (job in listOf(periodic!!, soon!!)) {
            assertEquals(JobInfo.NETWORK_TYPE_ANY, job.networkType)
            assertEquals(JobInfo.BACKOFF_POLICY_EXPONENTIAL, job.backoffPolicy)
            assertEquals(SyncScheduler.INITIAL_BACKOFF_MILLIS, job.initialBackoffMillis)
            assertTrue(job.isPersisted)
            assertEquals(SyncJobService::class.java.name, job.service.className)
        }
        assertTrue(periodic.isPeriodic)
        assertEquals(SyncScheduler.DEFAULT_PERIOD_MILLIS, periodic.intervalMillis)
        SyncScheduler.cancel(app)
        assertEquals(0, scheduler.allPendingJobs.size)
    }
}
