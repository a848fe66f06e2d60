// Assertions for the scenarios shared by the host JVM check and the instrumented tests: plain
// Kotlin, no JUnit, so the same functions run under both (JUnit wraps them on devices).
package org.offlinecash.android.scenarios

fun check(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

fun <T> checkEquals(expected: T, actual: T, what: String) {
    if (expected != actual) throw AssertionError("$what: expected <$expected>, got <$actual>")
}

fun checkBytes(expected: ByteArray, actual: ByteArray, what: String) {
    if (!expected.contentEquals(actual)) {
        throw AssertionError("$what: expected ${expected.hex()}, got ${actual.hex()}")
    }
}

/** Runs [body], which must throw a [T]; returns it. */
inline fun <reified T : Throwable> checkThrows(what: String, body: () -> Unit): T {
    try {
        body()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("$what: expected ${T::class.simpleName}, got $e", e)
    }
    throw AssertionError("$what: expected ${T::class.simpleName}, nothing was thrown")
}

fun ByteArray.hex(): String = joinToString("") { "%02X".format(it) }

fun hexBytes(hex: String): ByteArray =
    ByteArray(hex.length / 2) { hex.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

/** The status word (last two bytes) of a response APDU, as `"9000"`. */
fun ByteArray.statusWord(): String = if (size < 2) "<none>" else copyOfRange(size - 2, size).hex()
