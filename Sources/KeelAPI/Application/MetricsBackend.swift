import Metrics
import Prometheus

/// The process's metrics backend: swift-metrics bootstrapped once with Prometheus (a second bootstrap would
/// trap, so every application of the process, tests included, shares this one registry).
enum MetricsBackend {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}
