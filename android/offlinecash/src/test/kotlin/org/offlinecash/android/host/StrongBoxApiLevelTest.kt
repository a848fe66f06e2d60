// StrongBoxUnavailableException is API 28; the library runs from API 26. A class that names it
// in a catch clause or a type check fails verification or loading on 26 and 27 (lint NewApi),
// so only StrongBoxApi28, loaded after the SDK_INT check, may name it. Read from the bytecode.
package org.offlinecash.android.host

import java.io.File
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class StrongBoxApiLevelTest {
    private val api28Only = "android/security/keystore/StrongBoxUnavailableException"

    @Test
    fun onlyStrongBoxApi28NamesStrongBoxUnavailableException() {
        val classes = File(System.getProperty("offlinecash.classes") ?: "target/classes", "org/offlinecash/android")
        val files = classes.listFiles { f -> f.name.endsWith(".class") }?.toList().orEmpty()
        assertTrue("no library classes under $classes", files.size > 5)
        val naming = files.filter { String(it.readBytes(), Charsets.ISO_8859_1).contains(api28Only) }.map { it.name }.sorted()
        assertEquals(listOf("StrongBoxApi28.class"), naming)
    }
}
