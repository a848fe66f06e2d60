// Background repatriation: when the phone has a network, JobScheduler starts this service,
// which runs the wallet's sync (upload the outbox, settle, fetch revocations/policy/keys)
// on a coroutine and reports back whether to retry.
//
//   JobScheduler ─► onStartJob ─► coroutine (IO): SyncHost.offlineCashSync() ─► wallet.sync()
//                ◄─ jobFinished(params, needsReschedule = retryable failure)
//
// The job often starts in a cold process (no screen ever opened the wallet), so the host is
// asked on the coroutine, where it may open the wallet (Keystore, database) off the main thread.
//
// It decides nothing about money: it only calls sync and classifies the outcome.
package org.offlinecash.android

import android.app.job.JobParameters
import android.app.job.JobService
import android.util.Log
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch

/**
 * Implemented by the app's `Application`: how the sync job reaches the wallet. Called on a
 * background thread, in a process where no screen may have run yet: open the wallet there if
 * it is not open, e.g. `SyncTask { openWallet().sync() }`; return `null` only while the user
 * has no wallet at all (nothing to sync). Opening may throw: the job classifies it as any
 * failed sync ([SyncOutcome.of]).
 */
interface SyncHost {
    fun offlineCashSync(): SyncTask?
}

/** One sync attempt. Throws on failure; [SyncOutcome.of] decides whether to retry. */
fun interface SyncTask {
    suspend fun run()
}

/** How a sync attempt ended, for JobScheduler. */
enum class SyncOutcome {
    /** Done; wait for the next scheduled run. */
    DONE,

    /** Failed for a reason that may pass (network, issuer unavailable): retry with backoff. */
    RETRY,

    /** Failed for a reason a retry will not fix (misuse, incompatible issuer): do not retry. */
    FAILED;

    companion object {
        /** Runs [task] once and classifies the result. Cancellation propagates. */
        suspend fun of(task: SyncTask): SyncOutcome = try {
            task.run()
            DONE
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            if (SyncErrors.isRetryable(e)) RETRY else FAILED
        }
    }
}

/** The JobService that runs [SyncTask]s; scheduled by [SyncScheduler]. */
open class SyncJobService : JobService() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)
    private val running = HashMap<Int, Job>()

    override fun onStartJob(params: JobParameters): Boolean {
        val host = application as? SyncHost
        if (host == null) {
            Log.w(TAG, "no SyncHost: the Application must implement SyncHost")
            return false // nothing to do; JobScheduler treats the job as finished
        }
        val job = scope.launch {
            // Opening the wallet happens here, on the IO dispatcher, never on the main thread.
            val outcome = SyncOutcome.of(SyncTask { host.offlineCashSync()?.run() })
            if (outcome == SyncOutcome.FAILED) Log.w(TAG, "sync failed, not retrying")
            synchronized(running) { running.remove(params.jobId) }
            jobFinished(params, outcome == SyncOutcome.RETRY)
        }
        synchronized(running) { running[params.jobId] = job }
        return true // work continues on the coroutine
    }

    override fun onStopJob(params: JobParameters): Boolean {
        // Constraints lost (network gone) or the system needs the resources: stop and ask to
        // be run again. Sync batches are idempotent on the issuer, so a cut is harmless.
        synchronized(running) { running.remove(params.jobId) }?.cancel()
        return true
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    private companion object {
        const val TAG = "OfflineCashSync"
    }
}
