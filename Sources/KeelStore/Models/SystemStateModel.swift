import FluentKit
import Foundation

final class SystemStateModel: Model, @unchecked Sendable {
    static let schema = "system_state"
    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "value") var value: String
    @Field(key: "updated_by") var updatedBy: String
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}
