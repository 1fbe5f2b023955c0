import FluentKit

/// Every migration, in the order it runs. Add new ones at the end; never reorder or edit a shipped one.
public enum KeelMigrations {
    public static let all: [any Migration] = [
        M001_CreateUsers(),
        M002_CreateClients(),
        M003_CreateBrokerages(),
        M004_CreatePortfolios(),
        M005_CreateMarketData(),
        M006_CreateTrading(),
        M007_CreateOperations(),
        M008_CreatePaperBroker(),
        M009_SeedReferenceData(),
        M010_CreateMarketDataPipeline(),
        M011_CreateSchwabLinks(),
        M012_CreateBacktests(),
        M013_CreateGoals(),
        M014_SerialiseAccountTrading(),
        M015_GeneratedTradingIdentities(),
        M016_HardenLogins(),
        M017_CreateJobs(),
        M018_CreateWriteGeneration(),
        M019_CreateModelRegistry(),
        M020_SeedRLPolicyPortfolio(),
        M021_CreateAutonomousCycle(),
        M022_PaperBrokerRealism(),
        M023_JobCreator(),
        M024_CreateModelTrials(),
        M025_ModelLineage(),
        M026_DrawdownLimitStart(),
        M027_CashFlows(),
        M028_LeanMarketBars(),
        M029_WorkingBatches(),
        M030_TaxLots(),
        M031_TaxPreferences(),
        M032_TaxHarvests(),
        M033_CorporateActions(),
        M034_OrderLotInstructions(),
        M035_CashInLieu(),
    ]

    public static func register(on migrations: Migrations) {
        migrations.add(all)
    }
}
