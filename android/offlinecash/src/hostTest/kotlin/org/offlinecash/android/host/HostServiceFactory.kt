// HostApduService's constructor creates a Messenger over a Handler, whose binder is an Android
// native Binder object: a plain JVM has neither a native Looper queue nor libbinder. The host
// check therefore creates OfflineCashHceService instances without running the framework
// constructors (Unsafe.allocateInstance): the object is of the real class with its real
// methods; only HostApduService's Messenger (used by sendResponseApdu and the NFC service's
// bind, neither of which the tests use) is absent. The tests then call processCommandApdu and
// onDeactivated directly, as Android does on the main thread.
package org.offlinecash.android.host

import org.offlinecash.android.OfflineCashHceService
import org.offlinecash.android.scenarios.HceServices

fun installHostServiceFactory() {
    val unsafeField = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe").apply { isAccessible = true }
    val unsafe = unsafeField.get(null)
    val allocate = unsafe.javaClass.getMethod("allocateInstance", Class::class.java)
    HceServices.factory = { allocate.invoke(unsafe, OfflineCashHceService::class.java) as OfflineCashHceService }
}
