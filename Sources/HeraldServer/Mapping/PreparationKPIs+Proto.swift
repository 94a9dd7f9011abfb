import HeraldCore
import HeraldProtos

extension PreparationKPIs {
    /// These KPIs as the API returns them: one count per cause that excluded someone,
    /// in the order of the cause numbers.
    var proto: Herald_V1_PreparationKpis {
        var message = Herald_V1_PreparationKpis()
        message.targeted = Int64(targeted)
        message.toDeliver = Int64(toDeliver)
        message.toExclude = Int64(toExclude)
        message.exclusionCounts = exclusionCounts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { cause, count in
            var entry = Herald_V1_ExclusionCount()
            entry.cause = cause.proto
            entry.count = Int64(count)
            return entry
        }
        return message
    }
}
