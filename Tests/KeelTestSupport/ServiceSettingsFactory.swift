import KeelServices

public enum ServiceSettingsFactory {
    public static var standard: ServiceSettings { ServiceSettings() }
}
