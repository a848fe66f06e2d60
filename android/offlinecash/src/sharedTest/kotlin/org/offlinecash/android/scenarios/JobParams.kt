// JobParameters as JobScheduler hands them to a JobService, for host tests that start
// SyncJobService themselves: the constructor is hidden and its arguments change between
// releases, so the longest one is filled with neutral values and the job id is set.
package org.offlinecash.android.scenarios

import android.app.job.JobParameters

fun jobParameters(jobId: Int): JobParameters {
    val constructor = JobParameters::class.java.declaredConstructors.maxByOrNull { it.parameterCount }
        ?: throw AssertionError("JobParameters has no constructor")
    constructor.isAccessible = true
    val args = constructor.parameterTypes.map<Class<*>, Any?> { type ->
        when (type) {
            Int::class.javaPrimitiveType -> 0
            Long::class.javaPrimitiveType -> 0L
            Boolean::class.javaPrimitiveType -> false
            else -> null
        }
    }
    val params = constructor.newInstance(*args.toTypedArray()) as JobParameters
    JobParameters::class.java.getDeclaredField("jobId").apply { isAccessible = true }.setInt(params, jobId)
    return params
}
