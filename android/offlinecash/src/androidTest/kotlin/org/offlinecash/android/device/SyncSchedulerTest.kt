// The sync jobs' constraints on a device's own JobInfo (the Robolectric SyncJobServiceTest checks
// the same jobs as ShadowJobScheduler keeps them).
package org.offlinecash.android.device

import android.app.job.JobInfo
import android.content.ComponentName
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.android.SyncJobService
import org.offlinecash.android.SyncScheduler
import org.offlinecash.android.scenarios.check
import org.offlinecash.android.scenarios.checkEquals

@RunWith(AndroidJUnit4::class)
class SyncSchedulerTest {
    @Test
    fun jobsNeedAnyNetworkBackOffExponentiallyAndPersist() {
        val component = ComponentName(InstrumentationRegistry.getInstrumentation().targetContext, SyncJobService::class.java)
        val periodic = SyncScheduler.periodicJob(component, SyncScheduler.DEFAULT_PERIOD_MILLIS)
        for (job in listOf(periodic, SyncScheduler.soonJob(component))) {
            checkEquals(JobInfo.NETWORK_TYPE_ANY, job.networkType, "network type")
            checkEquals(JobInfo.BACKOFF_POLICY_EXPONENTIAL, job.backoffPolicy, "backoff policy")
            checkEquals(SyncScheduler.INITIAL_BACKOFF_MILLIS, job.initialBackoffMillis, "initial backoff")
            check(job.isPersisted) { "persisted" }
        }
        check(periodic.isPeriodic) { "periodic" }
    }
}
