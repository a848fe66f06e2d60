// A minimal test runner for the Kotlin binding tests: no JUnit download, one closing line
// "N passed, N failed", a non-zero exit status on any failure.
package org.offlinecash.tests

import kotlin.system.exitProcess

class TestRunner {
    private val tests = mutableListOf<Pair<String, () -> Unit>>()

    fun test(name: String, body: () -> Unit) {
        tests.add(name to body)
    }

    fun runAndExit(): Nothing {
        var passed = 0
        var failed = 0
        for ((name, body) in tests) {
            try {
                body()
                passed++
                println("ok   $name")
            } catch (e: Throwable) {
                failed++
                println("FAIL $name: $e")
                e.printStackTrace(System.out)
            }
        }
        if (tests.isEmpty()) failed++ // an empty run is a broken run
        println("$passed passed, $failed failed")
        exitProcess(if (failed == 0) 0 else 1)
    }
}

fun assertTrue(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

fun <T> assertEquals(expected: T, actual: T, what: String) {
    if (expected != actual) throw AssertionError("$what: expected <$expected>, got <$actual>")
}

fun assertBytesEqual(expected: ByteArray, actual: ByteArray, what: String) {
    if (!expected.contentEquals(actual)) throw AssertionError("$what: byte arrays differ")
}

/** Runs [body], which must throw a [T]; returns it. Any other outcome fails the test. */
inline fun <reified T : Throwable> assertThrows(what: String, body: () -> Unit): T {
    try {
        body()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("$what: expected ${T::class.simpleName}, got $e", e)
    }
    throw AssertionError("$what: expected ${T::class.simpleName}, nothing was thrown")
}
