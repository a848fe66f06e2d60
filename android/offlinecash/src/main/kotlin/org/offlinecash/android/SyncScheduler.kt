// Schedules SyncJobService with JobScheduler: a periodic repatriation, and a one-off "soon"
// run after a payment. Both need any network, back off exponentially and survive reboots.
package org.offlinecash.android

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context

object SyncScheduler {
    /** Job ids (app-wide namespace: change them if they collide with the app's own jobs). */
    const val PERIODIC_JOB_ID = 0x0CA5_0001
    const val SOON_JOB_ID = 0x0CA5_0002

    /** Default period: a few times a day keeps revocation lists and limits fresh. */
    const val DEFAULT_PERIOD_MILLIS = 6L * 60 * 60 * 1000

    /** First retry after 30 s, then doubling (JobScheduler caps it at 5 hours). */
    const val INITIAL_BACKOFF_MILLIS = 30_000L

    /** Schedules (or replaces) the periodic sync. */
    @JvmStatic
    fun schedulePeriodic(context: Context, periodMillis: Long = DEFAULT_PERIOD_MILLIS): Boolean =
        scheduler(context).schedule(periodicJob(component(context), periodMillis)) == JobScheduler.RESULT_SUCCESS

    /** Schedules a one-off sync as soon as a network is available (e.g. after a payment). */
    @JvmStatic
    fun syncSoon(context: Context): Boolean =
        scheduler(context).schedule(soonJob(component(context))) == JobScheduler.RESULT_SUCCESS

    /** Cancels both jobs. */
    @JvmStatic
    fun cancel(context: Context) {
        scheduler(context).cancel(PERIODIC_JOB_ID)
        scheduler(context).cancel(SOON_JOB_ID)
    }

    internal fun periodicJob(component: ComponentName, periodMillis: Long): JobInfo =
        JobInfo.Builder(PERIODIC_JOB_ID, component)
            .setPeriodic(periodMillis)
            .common()
            .build()

    internal fun soonJob(component: ComponentName): JobInfo =
        JobInfo.Builder(SOON_JOB_ID, component)
            .common()
            .build()

    private fun JobInfo.Builder.common(): JobInfo.Builder =
        setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
            .setBackoffCriteria(INITIAL_BACKOFF_MILLIS, JobInfo.BACKOFF_POLICY_EXPONENTIAL)
            .setPersisted(true) // needs RECEIVE_BOOT_COMPLETED (declared in the library manifest)

    private fun component(context: Context) = ComponentName(context, SyncJobService::class.java)

    private fun scheduler(context: Context) =
        context.getSystemService(Context.JOB_SCHEDULER_SERVICE) as JobScheduler
}
