// The host check's runner, in the style of bindings/tests/kotlin/TestRunner.kt: no JUnit
// download, one closing line "N passed, N failed", a non-zero exit status on any failure.
package org.offlinecash.android.host

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
