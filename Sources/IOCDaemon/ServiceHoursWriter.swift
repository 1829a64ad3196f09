import IOCCalendar
import IOCConfig
import IOCCore
import IOCStore
import Synchronization

/// Writes `ioc_service_hours` every `interval` on its own thread while iocd runs; a reload replaces
/// the calendar (and wakes the thread, so the new one is written at once), and without one nothing
/// is written.
final class ServiceHoursWriter: BackgroundWork {
    private let calendar: Mutex<ServiceHours?>
    private let interval: Duration
    private let writer: SampleWriter
    private let thread = BackgroundThread(name: "ioc-service-hours")

    init(calendar: ServiceHours?, interval: Duration, writer: SampleWriter) {
        self.calendar = Mutex(calendar)
        self.interval = interval
        self.writer = writer
    }

    func stop() async { await thread.stop() }

    func start() {
        thread.start { [self] thread in
            repeat {
                let now = WallClock.nowMilliseconds()
                if let calendar = calendar.withLock({ $0 }) {
                    writer.append([
                        LabeledSample(
                            labels: Labels([(Labels.metricName, "ioc_service_hours")]),
                            sample: Sample(timestamp: now, value: calendar.isOpen(at: now) ? 1 : 0))
                    ])
                }
            } while thread.pause(milliseconds: interval.inMilliseconds)
        }
    }

    func replace(_ calendar: ServiceHours?) {
        self.calendar.withLock { $0 = calendar }
        thread.wake()
    }
}
